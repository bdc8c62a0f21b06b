//! What the user asked to count: files, folders, URLs or pasted bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files larger than this are refused before reading: no photo the service can take is
/// anywhere near it, and reading it would only fill memory.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// One thing to count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    /// An http(s) address; the service fetches the image itself.
    Url(String),
    /// Image bytes from the clipboard or a drop without a path.
    Bytes {
        name: String,
        bytes: Arc<Vec<u8>>,
    },
}

impl Input {
    /// Read a command-line argument or a pasted line: an http(s) URL or a path.
    pub fn from_arg(arg: &str) -> Self {
        let trimmed = arg.trim();
        let Ok(url) = url::Url::parse(trimmed) else {
            return Self::Path(PathBuf::from(arg));
        };
        if is_http_url(trimmed) {
            // A plain lower-case http(s) address goes out exactly as given. Anything else
            // (an upper-case scheme, `http:/host`, spaces, Chinese characters) is sent in
            // the standard form the URL parser gives, which the service can fetch.
            let plain = (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
                && trimmed.bytes().all(|b| b.is_ascii_graphic());
            Self::Url(if plain {
                trimmed.to_owned()
            } else {
                url.into()
            })
        } else if url.scheme() == "file"
            && let Ok(path) = url.to_file_path()
        {
            Self::Path(path)
        } else {
            Self::Path(PathBuf::from(arg))
        }
    }

    /// How the input is named to the user.
    pub fn label(&self) -> String {
        match self {
            Self::Path(path) => path.display().to_string(),
            Self::Url(url) => url.clone(),
            Self::Bytes { name, .. } => name.clone(),
        }
    }

    /// A short name for narrow places (the file name of a path).
    pub fn short_label(&self) -> String {
        match self {
            Self::Path(path) => path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
            other => other.label(),
        }
    }
}

/// Whether `text` is an absolute http or https URL with a host.
pub fn is_http_url(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

/// The scheme of text that looks like an address (`ftp://host/…`), lower-cased. A
/// Windows path such as `C:\photos` is not one.
pub(crate) fn url_scheme(text: &str) -> Option<String> {
    let (scheme, rest) = text.trim().split_once("://")?;
    let valid = scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty();
    valid.then(|| scheme.to_ascii_lowercase())
}

/// Extensions of images inside folders. Files named one by one are always taken (their
/// content decides); inside a folder, only these are, so that a README or a `.DS_Store`
/// next to the photos does not become an error row.
const FOLDER_IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "jfif", "png", "bmp", "dib", "gif", "webp", "tif", "tiff", "heic",
    "heif", "avif",
];

fn looks_like_image_name(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| {
            FOLDER_IMAGE_EXTENSIONS
                .iter()
                .any(|known| ext.eq_ignore_ascii_case(known))
        })
}

/// Replace each folder by the images inside it (recursively, in natural order:
/// `img2` before `img10`), keeping everything else as it is.
pub fn expand(inputs: Vec<Input>) -> Vec<Input> {
    let mut expanded = Vec::with_capacity(inputs.len());
    for input in inputs {
        match input {
            Input::Path(path) if path.is_dir() => {
                let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&path)
                    .follow_links(true)
                    .into_iter()
                    .filter_map(Result::ok)
                    .filter(|entry| entry.file_type().is_file())
                    .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
                    .map(walkdir::DirEntry::into_path)
                    .filter(|path| looks_like_image_name(path))
                    .collect();
                files.sort_by(|a, b| {
                    natord::compare_ignore_case(&a.to_string_lossy(), &b.to_string_lossy())
                });
                expanded.extend(files.into_iter().map(Input::Path));
            }
            other => expanded.push(other),
        }
    }
    expanded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths_are_told_apart() {
        assert!(matches!(
            Input::from_arg("https://a.example/x.jpg"),
            Input::Url(_)
        ));
        assert!(matches!(
            Input::from_arg("HTTP://a.example/x.jpg"),
            Input::Url(_)
        ));
        assert!(matches!(Input::from_arg("photo.jpg"), Input::Path(_)));
        assert!(matches!(
            Input::from_arg("ftp://a.example/x.jpg"),
            Input::Path(_)
        ));
        assert!(matches!(
            Input::from_arg("C:\\photos\\x.jpg"),
            Input::Path(_)
        ));
        assert_eq!(
            Input::from_arg("file:///tmp/a%20b.jpg"),
            Input::Path(PathBuf::from("/tmp/a b.jpg"))
        );
    }

    #[test]
    fn urls_go_out_as_given_unless_they_need_encoding() {
        let url = |arg| match Input::from_arg(arg) {
            Input::Url(url) => url,
            other => panic!("not a URL: {other:?}"),
        };
        assert_eq!(url("http://a.example"), "http://a.example");
        assert_eq!(
            url(" https://a.example/x.jpg?sig=a+b%2F= "),
            "https://a.example/x.jpg?sig=a+b%2F="
        );
        assert_eq!(
            url("https://a.example/my photos/站台.jpg"),
            "https://a.example/my%20photos/%E7%AB%99%E5%8F%B0.jpg"
        );
        assert_eq!(url("HTTPS://A.EXAMPLE/X.JPG"), "https://a.example/X.JPG");
        assert_eq!(url("http:/a.example/x.jpg"), "http://a.example/x.jpg");
    }

    #[test]
    fn address_schemes_are_recognised_but_not_drive_letters() {
        assert_eq!(url_scheme("ftp://a.example/x.jpg").as_deref(), Some("ftp"));
        assert_eq!(url_scheme("S3://bucket/x.jpg").as_deref(), Some("s3"));
        assert_eq!(url_scheme("C://x.jpg"), None);
        assert_eq!(url_scheme("photos/x.jpg"), None);
        assert_eq!(url_scheme("ftp://"), None);
    }

    #[test]
    fn folders_expand_recursively_in_natural_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("mkdir");
        for name in [
            "img10.jpg",
            "img2.JPG",
            "notes.txt",
            ".hidden.jpg",
            "Bravo.jpg",
            "alpha.jpg",
        ] {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        std::fs::write(sub.join("a.png"), b"x").expect("write");

        let names: Vec<String> = expand(vec![Input::Path(dir.path().to_owned())])
            .iter()
            .map(|input| input.label().replace(&dir.path().display().to_string(), ""))
            .collect();
        let sep = std::path::MAIN_SEPARATOR;
        assert_eq!(
            names,
            vec![
                format!("{sep}alpha.jpg"),
                format!("{sep}Bravo.jpg"),
                format!("{sep}img2.JPG"),
                format!("{sep}img10.jpg"),
                format!("{sep}sub{sep}a.png")
            ]
        );
    }
}
