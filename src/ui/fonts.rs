//! Fonts: egui's defaults for Latin text, then a Chinese font.
//!
//! The bundled subset of Noto Sans CJK SC is installed at once (it is compiled in), so
//! Chinese renders from the first frame on any machine. A system CJK font, when there
//! is one, is read in the background and put in front of the subset for its wider
//! coverage (rare characters in file names or the service's messages).

use std::sync::Arc;

/// Noto Sans CJK SC, GB2312 level 1 + punctuation + every character of the Chinese
/// texts (SIL OFL 1.1, see `assets/fonts/OFL.txt`).
const BUNDLED_CJK: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-subset.otf");

const BUNDLED_NAME: &str = "noto-sans-sc-subset";
const SYSTEM_NAME: &str = "system-cjk";

/// System CJK fonts to try, with the face index of Simplified Chinese in each file.
/// Face 0 of the Noto/Source Han collections is Japanese; SC is face 2.
const SYSTEM_CJK_FONTS: &[(&str, u32)] = &[
    // Debian, Ubuntu.
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    // Fedora.
    (
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        2,
    ),
    // Arch.
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    // Windows: Microsoft YaHei.
    ("C:\\Windows\\Fonts\\msyh.ttc", 0),
    // macOS.
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("/System/Library/Fonts/Hiragino Sans GB.ttc", 0),
];

/// Install egui's default fonts plus the bundled Chinese font; with `system`, the
/// system's CJK font goes before the bundled one. Tests call this exactly as the app
/// does.
pub fn install_fonts(ctx: &egui::Context, system: Option<(Vec<u8>, u32)>) {
    let mut fonts = egui::FontDefinitions::default();
    let mut fallbacks = Vec::new();

    if let Some((bytes, index)) = system {
        let data = egui::FontData::from_blob(Arc::new(bytes), index);
        fonts
            .font_data
            .insert(SYSTEM_NAME.to_owned(), Arc::new(data));
        fallbacks.push(SYSTEM_NAME);
    }
    fonts.font_data.insert(
        BUNDLED_NAME.to_owned(),
        Arc::new(egui::FontData::from_static(BUNDLED_CJK)),
    );
    fallbacks.push(BUNDLED_NAME);

    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        let list = fonts.families.entry(family).or_default();
        // After the Latin face (so digits and Latin keep egui's look), before the emoji
        // fonts, which have no Han glyphs anyway.
        let at = list.len().min(1);
        for (offset, name) in fallbacks.iter().enumerate() {
            list.insert(at + offset, (*name).to_owned());
        }
    }
    ctx.set_fonts(fonts);
}

/// Read the first system CJK font that exists. Blocking file I/O: call off the UI thread.
pub fn read_system_cjk_font() -> Option<(Vec<u8>, u32)> {
    SYSTEM_CJK_FONTS.iter().find_map(|(path, index)| {
        let bytes = std::fs::read(path).ok()?;
        tracing::debug!(path, index, "system CJK font found");
        Some((bytes, *index))
    })
}
