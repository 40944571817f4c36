//! The byte layers of a Helm release payload: base64 (one or two layers), gzip, JSON.
//!
//! Helm writes `base64(gzip(json))` into the `release` key of a Secret or ConfigMap (or the
//! `body` column of the SQL driver). Read through the Kubernetes API as JSON or YAML, a Secret's
//! `data` adds one more base64 layer. The number of layers is detected from the content, never
//! from flags: a base64 layer is peeled until the bytes start with the gzip magic `1f 8b 08`
//! or with a JSON object, exactly as Helm treats data without the magic as uncompressed JSON.

use std::io::Read;

use base64::Engine as _;

use crate::error::Layer;

/// The gzip magic Helm checks before decompressing (`1f 8b 08`: gzip, deflate).
pub const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// The most base64 layers a payload may carry: Helm's own plus the API's for Secrets.
const MAX_BASE64_LAYERS: usize = 2;

/// Size limits that keep hostile or corrupt records from exhausting memory.
///
/// Cloning shares the run budget: every clone draws from the same total.
///
/// ```
/// use helm_why_release::Limits;
/// let limits = Limits::default();
/// assert_eq!(limits.max_decompressed_bytes, 64 * 1024 * 1024);
/// assert_eq!(limits.budget.total(), 1024 * 1024 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest JSON document a single record may decompress to (default 64 MiB).
    pub max_decompressed_bytes: usize,
    /// Largest encoded payload accepted before decoding starts (default 64 MiB).
    ///
    /// A Kubernetes object is limited to about 1 MiB, so real records are far below this.
    pub max_encoded_bytes: usize,
    /// Decoded bytes allowed for the whole run, across every record (default 1 GiB), less
    /// what was given back for records dropped ([`RunBudget::give_back`]).
    pub budget: RunBudget,
    /// The alias bombs refused so far in the run ([`AliasBombs`]).
    pub alias_bombs: AliasBombs,
}

/// The records refused as alias bombs in one run, shared by every clone. Refusing one costs
/// the YAML parser about 0.1 s of replayed aliases, so a file of a thousand small ones ran
/// for minutes: past [`AliasBombs::MAX`], a record whose documents may use aliases is
/// refused without expanding them.
#[derive(Debug, Clone, Default)]
pub struct AliasBombs(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl AliasBombs {
    /// Alias bombs refused before alias-using records are refused unread.
    pub const MAX: usize = 16;

    /// Count one refused.
    pub fn refused(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many were refused.
    pub fn count(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether [`AliasBombs::MAX`] were refused.
    pub fn too_many(&self) -> bool {
        self.count() >= Self::MAX
    }
}

/// Default of [`RunBudget`]: 1 GiB of decoded JSON, which parses into a few GiB at most.
pub const DEFAULT_RUN_BUDGET: usize = 1024 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed_bytes: 64 * 1024 * 1024,
            max_encoded_bytes: 64 * 1024 * 1024,
            budget: RunBudget::new(DEFAULT_RUN_BUDGET),
            alias_bombs: AliasBombs::default(),
        }
    }
}

impl Limits {
    /// Limits with the given decompressed size and an encoded cap of the same size.
    pub fn with_max_record_bytes(bytes: usize) -> Self {
        Limits {
            max_decompressed_bytes: bytes,
            max_encoded_bytes: bytes,
            ..Limits::default()
        }
    }

    /// The same limits with a fresh run budget of `bytes`.
    pub fn with_run_budget(mut self, bytes: usize) -> Self {
        self.budget = RunBudget::new(bytes);
        self
    }
}

/// Decoded bytes one run may still produce, shared by every clone (`--max-total-bytes`).
#[derive(Debug, Clone)]
pub struct RunBudget {
    total: usize,
    spent: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl RunBudget {
    /// A budget of `total` decoded bytes.
    pub fn new(total: usize) -> Self {
        RunBudget {
            total,
            spent: Default::default(),
        }
    }

    /// The whole budget.
    pub fn total(&self) -> usize {
        self.total
    }

    /// What is left of it.
    pub fn remaining(&self) -> usize {
        self.total
            .saturating_sub(self.spent.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Give back `bytes` spent on records that are dropped: a command that analyses a release
    /// at a time and drops its records (`scan`, `who`) holds only the releases in hand, so its
    /// budget bounds those, not the sum over a cluster.
    ///
    /// ```
    /// use helm_why_release::codec::{encode_payload, peel};
    /// use helm_why_release::Limits;
    /// let limits = Limits::default().with_run_budget(20);
    /// let payload = encode_payload(br#"{"name":"web"}"#);
    /// let json = peel(payload.as_bytes(), &limits).unwrap().json;
    /// assert!(peel(payload.as_bytes(), &limits).is_err(), "14 + 14 bytes are over 20");
    /// limits.budget.give_back(json.len());
    /// assert!(peel(payload.as_bytes(), &limits).is_ok());
    /// ```
    pub fn give_back(&self, bytes: usize) {
        // Never below zero, whatever a caller gives back.
        self.lower(|spent| spent.saturating_sub(bytes));
    }

    /// What is spent so far: a mark to [`RunBudget::rewind`] to.
    pub fn spent(&self) -> usize {
        self.spent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Give back all that was spent since `mark` ([`RunBudget::spent`]) and not given back:
    /// a stream that falls back to reading its source whole drops every record it decoded,
    /// those it held for a release not complete and those it decoded ahead included.
    ///
    /// ```
    /// use helm_why_release::codec::{encode_payload, peel};
    /// use helm_why_release::Limits;
    /// let limits = Limits::default().with_run_budget(20);
    /// let payload = encode_payload(br#"{"name":"web"}"#);
    /// let mark = limits.budget.spent();
    /// let kept = peel(payload.as_bytes(), &limits).unwrap();
    /// assert!(peel(payload.as_bytes(), &limits).is_err(), "14 + 14 bytes are over 20");
    /// drop(kept);
    /// limits.budget.rewind(mark);
    /// assert_eq!(limits.budget.remaining(), 20);
    /// ```
    pub fn rewind(&self, mark: usize) {
        self.lower(|spent| spent.min(mark));
    }

    /// Set what is spent to `to(spent)`, atomically (other threads charge it meanwhile).
    fn lower(&self, to: impl Fn(usize) -> usize) {
        use std::sync::atomic::Ordering;
        let _ = self
            .spent
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |spent| {
                Some(to(spent))
            });
    }

    /// Charge `bytes` against the budget.
    fn spend(&self, bytes: usize) {
        self.spent
            .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What went wrong while peeling the layers of a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerError {
    /// The layer that failed.
    pub layer: Layer,
    /// What was wrong with it.
    pub detail: String,
}

impl LayerError {
    fn new(layer: Layer, detail: impl Into<String>) -> Self {
        LayerError {
            layer,
            detail: detail.into(),
        }
    }
}

/// The JSON text of a release payload, with the layers that were peeled to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peeled {
    /// The decoded JSON bytes.
    pub json: Vec<u8>,
    /// How many base64 layers were removed (1 for Helm's own layer, 2 through the API).
    pub base64_layers: u8,
    /// Whether the payload was gzip-compressed (Helm always compresses; very old records may not be).
    pub gzipped: bool,
}

/// Peel base64 and gzip layers until the release JSON is reached.
///
/// Whitespace and newlines inside base64 text are tolerated (real records carry a trailing
/// newline inside the inner layer when they were produced with shell pipes). Decoded bytes
/// are never trimmed: gzip data may end in bytes that look like whitespace.
///
/// ```
/// use helm_why_release::codec::{encode_payload, peel};
/// use helm_why_release::Limits;
/// let helm_layer = encode_payload(br#"{"name":"web"}"#);
/// let peeled = peel(helm_layer.as_bytes(), &Limits::default()).unwrap();
/// assert_eq!(peeled.json, br#"{"name":"web"}"#);
/// assert_eq!((peeled.base64_layers, peeled.gzipped), (1, true));
/// ```
///
/// # Errors
/// A [`LayerError`] naming the layer (base64, gzip, size) that could not be decoded.
pub fn peel(input: &[u8], limits: &Limits) -> Result<Peeled, LayerError> {
    peel_as(input, limits, Inner::Json)
}

/// Peel a Tiller (Helm 2) payload down to its protobuf: base64 layers, then gzip when the
/// bytes start with the magic. Tiller gunzips only then, to read the records it stored before
/// it compressed them (helm/helm#1420, before Helm 2.0.0) [Helm v2.17.0
/// `pkg/storage/driver/util.go` `decodeRelease`]; so bytes after a base64 layer that are not
/// base64 again are the protobuf itself. `json` then holds the protobuf.
///
/// ```
/// use helm_why_release::codec::{encode_base64, encode_payload, peel_tiller};
/// use helm_why_release::Limits;
/// let protobuf = b"\x0a\x03web\x12\x00";
/// let old = peel_tiller(encode_base64(protobuf).as_bytes(), &Limits::default()).unwrap();
/// assert_eq!((old.json.as_slice(), old.gzipped), (&protobuf[..], false));
/// let new = peel_tiller(encode_payload(protobuf).as_bytes(), &Limits::default()).unwrap();
/// assert_eq!((new.json.as_slice(), new.gzipped), (&protobuf[..], true));
/// ```
///
/// # Errors
/// As [`peel`].
pub fn peel_tiller(input: &[u8], limits: &Limits) -> Result<Peeled, LayerError> {
    peel_as(input, limits, Inner::Protobuf)
}

/// What a payload holds under its base64 layers when it is not compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inner {
    /// Helm 3's JSON: a payload that is neither gzip nor JSON is an error.
    Json,
    /// Tiller's protobuf: binary, whatever its first bytes.
    Protobuf,
}

fn peel_as(input: &[u8], limits: &Limits, holds: Inner) -> Result<Peeled, LayerError> {
    let mut buffers = Buffers::default();
    let (base64_layers, gzipped) = peel_into(input, limits, &mut buffers, holds)?;
    Ok(Peeled {
        json: buffers.json,
        base64_layers,
        gzipped,
    })
}

/// [`peel`], lending the result to `read` in buffers this thread keeps for its next payload.
/// Commands decode thousands of records on a few threads; fresh buffers for each (~120 KB
/// for the base64 layers and the JSON of a typical record) made the allocator take fresh
/// pages from the kernel, zeroed, again and again (6–13% of a `scan`'s time).
///
/// ```
/// use helm_why_release::codec::{encode_payload, peel_then};
/// use helm_why_release::Limits;
/// let payload = encode_payload(br#"{"name":"web"}"#);
/// let len = peel_then(payload.as_bytes(), &Limits::default(), |p| p.json.len()).unwrap();
/// assert_eq!(len, 14);
/// ```
///
/// # Errors
/// As [`peel`]; `read` is then not called.
pub fn peel_then<R>(
    input: &[u8],
    limits: &Limits,
    read: impl FnOnce(&Peeled) -> R,
) -> Result<R, LayerError> {
    thread_local! {
        static BUFFERS: std::cell::Cell<Buffers> = std::cell::Cell::new(Buffers::default());
    }
    // Taken, not borrowed: a `read` that peels again on this thread gets fresh buffers.
    let mut buffers = BUFFERS.take();
    let result =
        peel_into(input, limits, &mut buffers, Inner::Json).map(|(base64_layers, gzipped)| {
            let peeled = Peeled {
                json: std::mem::take(&mut buffers.json),
                base64_layers,
                gzipped,
            };
            let out = read(&peeled);
            buffers.json = peeled.json;
            out
        });
    BUFFERS.set(buffers.kept());
    result
}

/// The buffers of one peeling: each base64 layer's bytes, and the JSON.
#[derive(Default)]
struct Buffers {
    outer: Vec<u8>,
    inner: Vec<u8>,
    json: Vec<u8>,
}

impl Buffers {
    /// Buffers kept for the next payload are at most this large each: an unusually large
    /// record should not pin its size in memory for the rest of the run.
    const KEPT_BYTES: usize = 4 * 1024 * 1024;

    fn kept(self) -> Buffers {
        let keep = |buffer: Vec<u8>| {
            if buffer.capacity() <= Self::KEPT_BYTES {
                buffer
            } else {
                Vec::new()
            }
        };
        Buffers {
            outer: keep(self.outer),
            inner: keep(self.inner),
            json: keep(self.json),
        }
    }
}

/// Peel `input` into `buffers` (the JSON, or what it `holds`, ends in `buffers.json`); returns how
/// many base64 layers were removed and whether the data was gzipped.
fn peel_into(
    input: &[u8],
    limits: &Limits,
    buffers: &mut Buffers,
    holds: Inner,
) -> Result<(u8, bool), LayerError> {
    if input.len() > limits.max_encoded_bytes {
        return Err(LayerError::new(
            Layer::Size,
            format!(
                "encoded payload is {} bytes, over the limit of {} bytes (--max-record-bytes)",
                input.len(),
                limits.max_encoded_bytes
            ),
        ));
    }
    let Buffers { outer, inner, json } = buffers;
    let mut data: &[u8] = input;
    let mut layers = 0u8;
    // At most MAX_BASE64_LAYERS layers, each decoded into a buffer of its own.
    let mut layer_buffers = [outer, inner].into_iter().take(MAX_BASE64_LAYERS);
    loop {
        // Helm checks the magic on the decoded bytes as they are, without trimming.
        if data.starts_with(&GZIP_MAGIC) {
            gunzip(data, limits, json)?;
            return Ok((layers, true));
        }
        // Only text is trimmed: base64 (where Go skips line breaks) and JSON (whitespace
        // around a JSON value is insignificant).
        let trimmed = trim_ascii(data);
        if trimmed.is_empty() {
            return Err(LayerError::new(
                if layers == 0 {
                    Layer::Base64
                } else {
                    Layer::Json
                },
                "the payload is empty",
            ));
        }
        if holds == Inner::Json && trimmed[0] == b'{' {
            charge(limits, trimmed.len())?;
            json.clear();
            json.extend_from_slice(trimmed);
            return Ok((layers, false));
        }
        if holds == Inner::Json && trimmed[0] == b'[' {
            return Err(LayerError::new(
                Layer::Json,
                "the payload is a JSON array, not a release object",
            ));
        }
        // Protobuf is binary: once a layer is peeled, bytes that are not base64 again are it.
        let protobuf = |data: &[u8], json: &mut Vec<u8>| {
            charge(limits, data.len())?;
            json.clear();
            json.extend_from_slice(data);
            Ok((layers, false))
        };
        let Some(buffer) = layer_buffers.next() else {
            if holds == Inner::Protobuf {
                return protobuf(data, json);
            }
            return Err(LayerError::new(
                Layer::Gzip,
                // The bytes themselves are not shown: they may be a secret stored as plain text.
                format!(
                    "after {layers} base64 layers the data is neither gzip (1f 8b 08) nor JSON"
                ),
            ));
        };
        if let Err(detail) = decode_base64_into(trimmed, buffer) {
            if holds == Inner::Protobuf && layers > 0 {
                return protobuf(data, json);
            }
            let which = if layers == 0 { "" } else { " (inner layer)" };
            return Err(LayerError::new(Layer::Base64, format!("{detail}{which}")));
        }
        layers += 1;
        data = buffer;
    }
}

/// Charge `bytes` of decoded JSON against the per-record limit and the run budget.
fn charge(limits: &Limits, bytes: usize) -> Result<(), LayerError> {
    if bytes > limits.max_decompressed_bytes {
        return Err(too_large(limits.max_decompressed_bytes));
    }
    if bytes > limits.budget.remaining() {
        return Err(budget_spent(limits));
    }
    limits.budget.spend(bytes);
    Ok(())
}

/// Decode standard base64, ignoring ASCII whitespace anywhere in the input.
///
/// # Errors
/// A sentence saying which byte is not base64 or that the length is wrong.
pub fn decode_base64(input: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    decode_base64_into(input, &mut out)?;
    Ok(out)
}

/// [`decode_base64`] into `out`, which is cleared first.
fn decode_base64_into(input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    // What Go's StdEncoding writes (padded, no white space) decodes in the SIMD fast path. It
    // is stricter than the engine below, never looser, so what it accepts means the same.
    if base64_simd::STANDARD.decode_append(input, out).is_ok() {
        return Ok(());
    }
    *out = decode_base64_like_go(input)?;
    Ok(())
}

/// Go's StdEncoding leniency: trailing bits, padding or not, white space anywhere.
fn decode_base64_like_go(input: &[u8]) -> Result<Vec<u8>, String> {
    // Like Go's StdEncoding: trailing bits are tolerated; padding may be present or not.
    let engine = &base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    // Stored payloads have no white space: decode straight away, and look for white space
    // (a hand-wrapped file) only when that fails.
    let error = match engine.decode(input) {
        Ok(bytes) => return Ok(bytes),
        Err(e) => e,
    };
    if !input.iter().any(u8::is_ascii_whitespace) {
        return Err(describe_base64_error(error));
    }
    let compact: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    engine.decode(&compact).map_err(describe_base64_error)
}

fn describe_base64_error(err: base64::DecodeError) -> String {
    match err {
        // Offsets only: the bytes may be part of a secret.
        base64::DecodeError::InvalidByte(offset, _) => {
            format!("invalid base64: the byte at offset {offset} is not in the alphabet")
        }
        base64::DecodeError::InvalidLength(len) => {
            format!("invalid base64: {len} symbols is not a valid length (truncated?)")
        }
        base64::DecodeError::InvalidLastSymbol { offset, .. } => {
            format!(
                "invalid base64: the last symbol, at offset {offset}, has extra bits (truncated?)"
            )
        }
        base64::DecodeError::InvalidPadding => "invalid base64: wrong padding (truncated?)".into(),
    }
}

/// Decompress `data` into `out` (cleared first), within the limits.
fn gunzip(data: &[u8], limits: &Limits, out: &mut Vec<u8>) -> Result<(), LayerError> {
    let remaining = limits.budget.remaining();
    let max = limits.max_decompressed_bytes.min(remaining);
    if gunzip_one_member(data, max, out) {
        limits.budget.spend(out.len());
        return Ok(());
    }
    // ISIZE is a good hint for the buffer; it is attacker-controlled, so it is only a hint,
    // capped by the limit.
    let hint = stored_length(data)
        .unwrap_or(0)
        .max(data.len().saturating_mul(4));
    out.clear();
    out.reserve(hint.min(max.saturating_add(1)));
    // Read one byte past the limit so "exactly at the limit" and "over it" can be told apart.
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    // Go's gzip.Reader reads every member of a multistream file, and fails on anything after
    // the last one that is not another gzip header.
    let mut rest = data;
    let mut member = 0usize;
    loop {
        let budget = limit.saturating_sub(out.len() as u64);
        let mut reader = flate2::bufread::GzDecoder::new(rest).take(budget);
        let read = reader.read_to_end(out);
        let described = |err: std::io::Error| {
            let which = if member == 0 {
                String::new()
            } else {
                format!(" (member {})", member + 1)
            };
            if err.kind() == std::io::ErrorKind::UnexpectedEof {
                LayerError::new(
                    Layer::Gzip,
                    format!("truncated gzip stream (unexpected end of data){which}"),
                )
            } else {
                LayerError::new(Layer::Gzip, format!("corrupt gzip stream{which}: {err}"))
            }
        };
        read.map_err(described)?;
        if out.len() > max {
            return Err(if max < limits.max_decompressed_bytes {
                budget_spent(limits)
            } else {
                too_large(max)
            });
        }
        rest = reader.into_inner().into_inner();
        if rest.is_empty() {
            break;
        }
        if !rest.starts_with(&GZIP_MAGIC[..2]) {
            return Err(LayerError::new(
                Layer::Gzip,
                format!(
                    "{} bytes after the end of the gzip stream are not another gzip member",
                    rest.len()
                ),
            ));
        }
        member += 1;
    }
    limits.budget.spend(out.len());
    Ok(())
}

/// The shape of every record Helm writes, in one call: one gzip member with Go's plain
/// header (no name, comment, extra field or header CRC) and an ISIZE that is the JSON's exact
/// length, within `max`. zlib then writes straight into a buffer of that size: no zeroed read
/// buffer and no copy of the output into its window, which the streaming reader pays for
/// (~8% of decoding a record). Anything else — a header with options, several members,
/// trailing bytes, a wrong ISIZE, corruption, a size over the limit — gives `false`, and the
/// streaming reader then gives Go's answer or the precise error. `true`: `out` (cleared
/// first) holds the JSON.
fn gunzip_one_member(data: &[u8], max: usize, out: &mut Vec<u8>) -> bool {
    /// FLG, the fourth header byte: 0 is the header Go's gzip.Writer writes for Helm.
    const FLG: usize = 3;
    let Some(length) = stored_length(data) else {
        return false;
    };
    if data.get(FLG) != Some(&0) || length > max {
        return false;
    }
    out.clear();
    // One byte of room past ISIZE: zlib never stops at a full buffer before the trailer, and
    // a stream longer than its ISIZE says shows as such.
    out.reserve(length + 1);
    let mut inflater = flate2::Decompress::new_gzip(15);
    let ended = matches!(
        inflater.decompress_vec(data, out, flate2::FlushDecompress::Finish),
        Ok(flate2::Status::StreamEnd)
    );
    let whole = usize::try_from(inflater.total_in()) == Ok(data.len());
    ended && whole && out.len() == length
}

/// The gzip trailer's ISIZE: the length of the last member's data, mod 2^32.
fn stored_length(data: &[u8]) -> Option<usize> {
    data.last_chunk::<4>()
        .map(|isize| u32::from_le_bytes(*isize) as usize)
}

fn too_large(max: usize) -> LayerError {
    LayerError::new(
        Layer::Size,
        format!("decompressed release is over the limit of {max} bytes (--max-record-bytes)"),
    )
}

fn budget_spent(limits: &Limits) -> LayerError {
    LayerError::new(
        Layer::Size,
        format!(
            "the run's budget of {} decoded bytes is spent (--max-total-bytes raises it)",
            limits.budget.total()
        ),
    )
}

fn trim_ascii(mut data: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = data {
        if first.is_ascii_whitespace() {
            data = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = data {
        if last.is_ascii_whitespace() {
            data = rest;
        } else {
            break;
        }
    }
    data
}

/// Encode release JSON the way Helm's storage drivers do: gzip at best compression, then
/// standard padded base64. The result is what Helm stores as the `release` value of a
/// ConfigMap, inside a Secret's data (before the API's own base64), or in the SQL `body`.
///
/// The gzip header is the one Go writes (no name, mtime 0, XFL 2, OS 255); the deflate stream
/// itself comes from zlib-rs rather than Go's compress/flate, so compressed bytes may differ
/// while every decoder (Helm's included) reads the same JSON.
pub fn encode_payload(json: &[u8]) -> String {
    use std::io::Write as _;
    let mut encoder = flate2::GzBuilder::new()
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let gz = encoder
        .write_all(json)
        .and_then(|()| encoder.finish())
        .unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(gz)
}

/// Standard padded base64, as the Kubernetes API encodes Secret `data`.
pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_header_matches_go() {
        let encoded = encode_payload(b"{}");
        let gz = decode_base64(encoded.as_bytes()).unwrap();
        // Go's gzip.NewWriterLevel(BestCompression): 1f 8b 08, flags 0, mtime 0, xfl 2, os 255.
        assert_eq!(&gz[..10], &[0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0x02, 0xff]);
    }

    #[test]
    fn peels_two_layers_and_whitespace() {
        let inner = encode_payload(br#"{"a":1}"#) + "\n";
        let outer = encode_base64(inner.as_bytes());
        let wrapped: String = outer
            .as_bytes()
            .chunks(10)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        let peeled = peel(wrapped.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(peeled.json, br#"{"a":1}"#);
        assert_eq!(peeled.base64_layers, 2);
    }

    #[test]
    fn uncompressed_json_is_accepted_like_helm() {
        let b = encode_base64(br#"{"name":"x"}"#);
        let peeled = peel(b.as_bytes(), &Limits::default()).unwrap();
        assert!(!peeled.gzipped);
        assert_eq!(peeled.base64_layers, 1);
    }

    #[test]
    fn truncated_gzip_is_a_gzip_error() {
        let full = decode_base64(encode_payload(&[b'{'; 5000]).as_bytes()).unwrap();
        let cut = encode_base64(&full[..full.len() / 2]);
        let err = peel(cut.as_bytes(), &Limits::default()).unwrap_err();
        assert_eq!(err.layer, Layer::Gzip);
        assert!(err.detail.contains("truncated"), "{}", err.detail);
    }

    #[test]
    fn bomb_is_stopped_at_the_limit() {
        let zeros = vec![b' '; 2 * 1024 * 1024];
        let encoded = encode_payload(&zeros);
        let err = peel(
            encoded.as_bytes(),
            &Limits::with_max_record_bytes(1024 * 1024),
        )
        .unwrap_err();
        assert_eq!(err.layer, Layer::Size);
    }

    #[test]
    fn garbage_is_a_base64_error_naming_the_offset_not_the_byte() {
        let err = peel(b"not base64 at all!", &Limits::default()).unwrap_err();
        assert_eq!(err.layer, Layer::Base64);
        assert!(err.detail.contains("offset 14"), "{}", err.detail);
        assert!(!err.detail.contains('!') && !err.detail.contains("0x21"));
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        decode_base64(encode_payload(bytes).as_bytes()).unwrap()
    }

    #[test]
    fn gzip_ending_in_whitespace_bytes_is_not_trimmed() {
        // ISIZE is the last field of a gzip stream: 0x0900_0000 + 3 bytes ends in 0x09 (tab),
        // which trimming "whitespace" used to cut off.
        let mut json = vec![b' '; 0x0900_0000 + 3];
        json[0] = b'{';
        *json.last_mut().unwrap() = b'}';
        let gz = gzip(&json);
        assert_eq!(gz.last(), Some(&0x09));
        let peeled = peel(
            encode_base64(&gz).as_bytes(),
            &Limits::with_max_record_bytes(256 * 1024 * 1024),
        )
        .unwrap();
        assert_eq!(peeled.json.len(), json.len());
    }

    #[test]
    fn every_gzip_member_is_read_like_go() {
        let mut gz = gzip(br#"{"name":"#);
        gz.extend(gzip(br#""web"}"#));
        let peeled = peel(encode_base64(&gz).as_bytes(), &Limits::default()).unwrap();
        assert_eq!(peeled.json, br#"{"name":"web"}"#);
    }

    #[test]
    fn garbage_after_the_gzip_stream_is_an_error() {
        for garbage in [&b"x"[..], b"garbage after the stream", &[0u8; 12]] {
            let mut gz = gzip(br#"{"name":"web"}"#);
            gz.extend_from_slice(garbage);
            let err = peel(encode_base64(&gz).as_bytes(), &Limits::default()).unwrap_err();
            assert_eq!(err.layer, Layer::Gzip, "{garbage:?}: {}", err.detail);
        }
    }

    #[test]
    fn the_simd_fast_path_decodes_exactly_what_gos_leniency_does() {
        // Every string of up to 6 symbols over an alphabet with padding, white space,
        // non-canonical last symbols and a stranger: the fast path may only decline.
        let alphabet = b"AQR/+= \n-";
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..6 {
            let longer: Vec<Vec<u8>> = inputs
                .iter()
                .filter(|input| input.len() == inputs.last().map_or(0, Vec::len))
                .flat_map(|input| {
                    alphabet.iter().map(move |&b| {
                        let mut next = input.clone();
                        next.push(b);
                        next
                    })
                })
                .collect();
            inputs.extend(longer);
        }
        let mut fast = 0;
        for input in &inputs {
            let decoded = decode_base64(input);
            assert_eq!(decoded, decode_base64_like_go(input), "{input:?}");
            fast += usize::from(base64_simd::STANDARD.decode_to_vec(input).is_ok());
        }
        assert!(fast > 500, "the fast path took only {fast} inputs");
    }

    #[test]
    fn gzip_other_than_helms_shape_is_read_by_the_streaming_reader() {
        use std::io::Write as _;
        let json = br#"{"name":"web"}"#;
        // A header with a file name (FLG 8): declined by the one-call path, read all the same.
        let mut named = flate2::GzBuilder::new()
            .filename("release.json")
            .write(Vec::new(), flate2::Compression::best());
        named.write_all(json).unwrap();
        let named = named.finish().unwrap();
        assert_eq!(named[3], 8);
        let peeled = peel(encode_base64(&named).as_bytes(), &Limits::default()).unwrap();
        assert_eq!(peeled.json, json);
        // An ISIZE that lies, either way: the stream's own check fails, as in Go.
        for isize in [3u32, 1000] {
            let mut gz = gzip(json);
            let at = gz.len() - 4;
            gz[at..].copy_from_slice(&isize.to_le_bytes());
            let err = peel(encode_base64(&gz).as_bytes(), &Limits::default()).unwrap_err();
            assert_eq!(err.layer, Layer::Gzip, "ISIZE {isize}: {}", err.detail);
        }
        // Whatever follows a member is read even when the input ends in a true ISIZE: a
        // second member of the same length, or the member's own ISIZE repeated.
        let mut two = gzip(br#"{"a":"x","#);
        two.extend(gzip(br#""b":"yz"}"#));
        let peeled = peel(encode_base64(&two).as_bytes(), &Limits::default()).unwrap();
        assert_eq!(peeled.json, br#"{"a":"x","b":"yz"}"#);
        let mut repeated = gzip(json);
        let isize = *repeated.last_chunk::<4>().unwrap();
        repeated.extend(isize);
        let err = peel(encode_base64(&repeated).as_bytes(), &Limits::default()).unwrap_err();
        assert!(
            err.detail.contains("4 bytes after the end"),
            "{}",
            err.detail
        );
        // Exactly at the limit is read; one byte over is refused.
        let gz = encode_base64(&gzip(json));
        let at_most = |bytes| Limits {
            max_decompressed_bytes: bytes,
            ..Limits::default()
        };
        assert_eq!(
            peel(gz.as_bytes(), &at_most(json.len())).unwrap().json,
            json
        );
        let err = peel(gz.as_bytes(), &at_most(json.len() - 1)).unwrap_err();
        assert_eq!(err.layer, Layer::Size, "{}", err.detail);
    }

    #[test]
    fn json_array_is_not_a_release() {
        let err = peel(encode_payload(b"[1,2]").as_bytes(), &Limits::default());
        // Decompressed JSON is handed on as is; an uncompressed array is refused here.
        assert!(err.is_ok());
        let err = peel(encode_base64(b"[1,2]").as_bytes(), &Limits::default()).unwrap_err();
        assert_eq!(err.layer, Layer::Json);
    }

    #[test]
    fn the_run_budget_is_shared_by_every_record() {
        let limits = Limits::default().with_run_budget(3000);
        let payload = encode_payload(&[b' '; 1000]);
        let clone = limits.clone();
        assert!(peel(payload.as_bytes(), &limits).is_ok());
        assert!(peel(payload.as_bytes(), &clone).is_ok());
        assert!(peel(payload.as_bytes(), &limits).is_ok());
        let err = peel(payload.as_bytes(), &clone).unwrap_err();
        assert_eq!(err.layer, Layer::Size);
        assert!(err.detail.contains("--max-total-bytes"), "{}", err.detail);
        assert_eq!(limits.budget.remaining(), 0);
    }

    #[test]
    fn three_layers_are_refused() {
        let once = encode_base64(br#"xyz"#);
        let err = peel(
            encode_base64(once.as_bytes()).as_bytes(),
            &Limits::default(),
        )
        .unwrap_err();
        assert_eq!(err.layer, Layer::Gzip);
    }
}
