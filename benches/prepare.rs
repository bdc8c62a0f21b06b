//! How long `prepare` takes on real photos, against decoding the same bytes with the
//! `image` crate in the same run (the reference: the least any preparation must do).
//!
//! `cargo bench --bench prepare`; compare each "prepare" time with the "decode" time
//! beside it, as a ratio: absolute times depend on the machine.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

/// (label, file): one per path through `prepare`.
const PHOTOS: &[(&str, &str)] = &[
    // 12 MP phone photo, over 4 MB, EXIF orientation 6: decode, rotate, re-encode.
    ("12mp-rotated", "photos/exif-py/Xiaomi_Mi_9T_KeyError.jpg"),
    // 8 MP within every limit: checked by a full decode, then sent byte for byte.
    ("8mp-as-is", "photos/exif-samples/iphone_hdr_YES.jpg"),
    // 9 MP with a side over 4000 px: scaled down and re-encoded.
    ("9mp-too-wide", "photos/exif-samples/HMD_Nokia_8.3_5G.jpg"),
    // A PNG photo within the limits, sent as it is.
    ("png-as-is", "photos/people/kodim12.png"),
];

fn prepare_photos(c: &mut Criterion) {
    let mut group = c.benchmark_group("prepare");
    group.sample_size(10);
    for (label, path) in PHOTOS {
        let bytes = std::fs::read(Path::new(CORPUS).join(path)).expect("corpus photo");
        group.bench_with_input(BenchmarkId::new("decode", label), &bytes, |b, bytes| {
            b.iter(|| image::load_from_memory(black_box(bytes)).expect("decodes"));
        });
        group.bench_with_input(BenchmarkId::new("prepare", label), &bytes, |b, bytes| {
            b.iter(|| headcount::prepare::prepare(black_box(bytes)).expect("prepares"));
        });
    }
    group.finish();
}

criterion_group!(benches, prepare_photos);
criterion_main!(benches);
