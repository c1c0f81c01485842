//! The page's precompressed copies and its size. After Trunk builds `dist/`, every file
//! gets a brotli (`.br`, quality 11) and a gzip (`.gz`, level 9) copy beside it, which
//! wsdoctor-server sends as they are to a browser that accepts them. The brotli total is
//! the page's size: what a first visit moves, and what the size budget checks.

use std::io::Write;
use std::path::Path;

use crate::steps::Error;

/// The most the whole page may weigh, brotli-compressed, in bytes. `cargo xtask test`
/// fails above it. It is the size reached plus a small margin: it only ever goes down,
/// and a feature raises it only by its measured cost, said in its closing note.
pub const PAGE_BROTLI_BUDGET: u64 = 465_200;

/// One file of the page and its sizes, in bytes.
pub struct PageFile {
    /// The file's name in `dist/`.
    pub name: String,
    /// As built.
    pub raw: u64,
    /// Its gzip copy.
    pub gzip: u64,
    /// Its brotli copy.
    pub brotli: u64,
}

/// The page's files, as compressed.
pub struct PageSize {
    /// Each file.
    pub files: Vec<PageFile>,
}

impl PageSize {
    /// The whole page, brotli-compressed.
    pub fn brotli(&self) -> u64 {
        self.files.iter().map(|f| f.brotli).sum()
    }

    /// The whole page, gzip-compressed.
    pub fn gzip(&self) -> u64 {
        self.files.iter().map(|f| f.gzip).sum()
    }

    /// The whole page as built.
    pub fn raw(&self) -> u64 {
        self.files.iter().map(|f| f.raw).sum()
    }

    /// Prints each file and the totals.
    pub fn print(&self) {
        for f in &self.files {
            eprintln!(
                "page: {:<44} {:>9} B raw {:>8} B gzip {:>8} B brotli",
                f.name, f.raw, f.gzip, f.brotli
            );
        }
        eprintln!(
            "page: whole page {} B raw, {} B gzip, {} B brotli ({:.1} KB; budget {:.1} KB)",
            self.raw(),
            self.gzip(),
            self.brotli(),
            self.brotli() as f64 / 1000.0,
            PAGE_BROTLI_BUDGET as f64 / 1000.0
        );
    }

    /// `Err` when the page is over its budget.
    pub fn within_budget(&self) -> Result<(), Error> {
        let size = self.brotli();
        if size <= PAGE_BROTLI_BUDGET {
            Ok(())
        } else {
            Err(format!(
                "the page is {size} B brotli, over its budget of {PAGE_BROTLI_BUDGET} B \
                 (xtask/src/compress.rs): cut it, or raise the budget by the feature's \
                 measured cost and say so in the closing note"
            ))
        }
    }
}

/// Writes `.br` and `.gz` beside every file of `dist` (and removes copies whose file is
/// gone); returns the sizes.
pub fn precompress(dist: &Path) -> Result<PageSize, Error> {
    let entries =
        std::fs::read_dir(dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    let mut files = Vec::new();
    for path in &paths {
        let is_copy = path
            .extension()
            .is_some_and(|ext| ext == "br" || ext == "gz");
        if is_copy {
            if !path.with_extension("").is_file() {
                let _ = std::fs::remove_file(path);
            }
            continue;
        }
        if !path.is_file() {
            continue;
        }
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let br = brotli_of(&bytes)?;
        let gz = gzip_of(&bytes)?;
        write(&with_suffix(path, "br"), &br)?;
        write(&with_suffix(path, "gz"), &gz)?;
        files.push(PageFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            raw: bytes.len() as u64,
            gzip: gz.len() as u64,
            brotli: br.len() as u64,
        });
    }
    Ok(PageSize { files })
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    name.into()
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `bytes` compressed with brotli at its highest quality.
pub fn brotli_of(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer
            .write_all(bytes)
            .map_err(|e| format!("brotli: {e}"))?;
    }
    Ok(out)
}

/// `bytes` compressed with gzip at its highest level.
pub fn gzip_of(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).map_err(|e| format!("gzip: {e}"))?;
    encoder.finish().map_err(|e| format!("gzip: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn every_file_gets_copies_that_decompress_to_it_and_stale_copies_go() {
        let dist = std::env::temp_dir().join(format!("xtask-compress-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dist);
        std::fs::create_dir_all(&dist).unwrap();
        let page = "<title>page</title>".repeat(200);
        std::fs::write(dist.join("index.html"), &page).unwrap();
        std::fs::write(dist.join("old-0123456789abcdef.js.br"), b"stale").unwrap();
        let size = precompress(&dist).unwrap();
        assert_eq!(size.files.len(), 1);
        assert!(size.brotli() < size.raw() / 10, "{}", size.brotli());
        assert!(!dist.join("old-0123456789abcdef.js.br").exists());

        let br = std::fs::read(dist.join("index.html.br")).unwrap();
        let mut unbrotli = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut unbrotli)
            .unwrap();
        assert_eq!(unbrotli, page);
        let gz = std::fs::read(dist.join("index.html.gz")).unwrap();
        let mut ungzip = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut ungzip)
            .unwrap();
        assert_eq!(ungzip, page);
        let _ = std::fs::remove_dir_all(&dist);
    }

    #[test]
    fn a_page_over_the_budget_is_refused_by_name() {
        let size = PageSize {
            files: vec![PageFile {
                name: "app.wasm".into(),
                raw: 1,
                gzip: 1,
                brotli: PAGE_BROTLI_BUDGET + 1,
            }],
        };
        assert!(
            size.within_budget()
                .unwrap_err()
                .contains("over its budget")
        );
    }
}
