//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a part

use serde_json::{Value, json};

/// Writes a deflate bit stream (least significant bit first, Huffman codes most significant
/// bit first, as RFC 1951 §3.1.1 requires).
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    byte: u8,
    used: u32,
}

impl BitWriter {
    fn bit(&mut self, bit: u32) {
        self.byte |= u8::from(bit & 1 == 1) << self.used;
        self.used += 1;
        if self.used == 8 {
            self.out.push(self.byte);
            self.byte = 0;
            self.used = 0;
        }
    }

    /// A value of `count` bits, least significant first (header fields, extra bits).
    fn bits(&mut self, value: u32, count: u32) {
        for i in 0..count {
            self.bit(value >> i);
        }
    }

    /// A Huffman code of `len` bits, most significant first.
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.bit(code >> i);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.out.push(self.byte);
        }
        self.out
    }
}

/// A gzip member of one dynamic-Huffman deflate block that expands to `1 + 258 * runs`
/// spaces: a literal space, then `runs` copies of (length 258, distance 1), each 2 bits.
/// This is what `gzip -9` does with a run of one byte (~1000:1), built directly because
/// compressing 200 MiB in a debug test build takes most of a minute.
///
/// The CRC-32 trailer is computed when the output is at most 1 MiB; a bigger bomb carries
/// a zero CRC, which a decoder never reaches if it stops at its size limit.
pub fn space_bomb(runs: usize) -> Vec<u8> {
    let total = 1 + 258 * runs;
    let mut w = BitWriter::default();
    w.bits(1, 1); // BFINAL
    w.bits(2, 2); // BTYPE = dynamic Huffman
    w.bits(286 - 257, 5); // HLIT: literal/length codes 0..=285
    w.bits(0, 5); // HDIST: one distance code
    w.bits(18 - 4, 4); // HCLEN: 18 code-length codes
    // Code-length alphabet: 18 (run of zeros) → 1 bit `0`, 1 → `10`, 2 → `11`.
    const ORDER: [u32; 18] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1];
    for sym in ORDER {
        let len = match sym {
            18 => 1,
            1 | 2 => 2,
            _ => 0,
        };
        w.bits(len, 3);
    }
    let zeros = |w: &mut BitWriter, n: u32| {
        w.code(0, 1);
        w.bits(n - 11, 7);
    };
    // Literal/length lengths: ' ' (32) → 2, end of block (256) → 2, length 258 (285) → 1.
    zeros(&mut w, 32); // 0..=31
    w.code(3, 2); // 32: length 2
    zeros(&mut w, 138); // 33..=170
    zeros(&mut w, 85); // 171..=255
    w.code(3, 2); // 256: length 2
    zeros(&mut w, 28); // 257..=284
    w.code(2, 2); // 285: length 1
    w.code(2, 2); // distance code 0 (distance 1): length 1
    // Canonical codes: 285 → `0`, ' ' → `10`, end of block → `11`; distance 0 → `0`.
    w.code(2, 2); // ' '
    for _ in 0..runs {
        w.code(0, 1); // length 258
        w.code(0, 1); // distance 1
    }
    w.code(3, 2); // end of block
    let deflate = w.finish();

    let crc = if total <= 1 << 20 {
        let mut crc = flate2::Crc::new();
        crc.update(&vec![b' '; total]);
        crc.sum()
    } else {
        0
    };
    let mut gz = vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0x02, 0xff];
    gz.extend_from_slice(&deflate);
    gz.extend_from_slice(&crc.to_le_bytes());
    gz.extend_from_slice(&((total as u64 & 0xffff_ffff) as u32).to_le_bytes()); // ISIZE
    gz
}

/// Runs of 258 that make about `mib` MiB of spaces.
pub fn runs_for_mib(mib: usize) -> usize {
    mib * 1024 * 1024 / 258
}

/// A Helm release Secret as `kubectl get secret -o json` prints it, holding `gzip` (Helm's
/// base64 and the API's base64 are added here).
pub fn secret_with_gzip(release: &str, namespace: &str, revision: u64, gzip: &[u8]) -> Value {
    use helm_why_release::codec::encode_base64;
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": format!("sh.helm.release.v1.{release}.v{revision}"),
            "namespace": namespace,
            "labels": {"name": release, "owner": "helm", "status": "deployed", "version": revision.to_string()},
        },
        "type": "helm.sh/release.v1",
        "data": {"release": encode_base64(encode_base64(gzip).as_bytes())},
    })
}
