//! A terminal's output into the page as scripts, `window.__podtermText(key, "text", bytes)`:
//! per MB the cheapest way into WebKitGTK's page that keeps the app's authority (measured:
//! docs/architecture.md, "Ways into the page"). `key` is the id of the page's `Channel<Text>`
//! (`ui/src/ipc/text.ts` keeps its handler by it); `bytes` is how much of the stream the text
//! took, which the page acknowledges once xterm has written it.

use podterm_core::utf8::StreamText;
use tauri::ipc::Channel;

use crate::commands::Text;

/// One session's output on its way to the page.
pub struct Output {
    webview: tauri::Webview,
    key: u32,
    text: StreamText,
}

impl Output {
    pub fn new(webview: tauri::Webview, channel: &Channel<Text>) -> Self {
        Output {
            webview,
            key: channel.id(),
            text: StreamText::default(),
        }
    }

    /// Hands a batch to the page; false once the page is gone.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        let (text, n) = self.text.push(bytes);
        self.webview.eval(script(self.key, &text, n)).is_ok()
    }
}

impl Drop for Output {
    /// The page forgets the handler: nothing more comes for it.
    fn drop(&mut self) {
        let _ = self
            .webview
            .eval(format!("window.__podtermText?.({},null,0)", self.key));
    }
}

/// The script that hands `text` (and the `bytes` of the stream it took) to the handler `key`.
/// Whatever a pod prints stays inside one string: JSON escapes quotes, backslashes and control
/// characters, and U+2028 and U+2029 (valid in JSON, line ends to older JavaScript) are escaped
/// too.
pub fn script(key: u32, text: &str, bytes: usize) -> String {
    let json = serde_json::Value::String(text.to_owned()).to_string();
    let json = json
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    format!("window.__podtermText?.({key},{json},{bytes})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatever_a_pod_prints_stays_one_string_argument() {
        let hostile =
            "a\"b\\c'd`e${f}</script>\u{2028}\u{2029}\r\n\x1b]0;x\x07\0\u{fffd}😀);alert(1);//";
        let s = script(7, hostile, 99);
        let args = s
            .strip_prefix("window.__podtermText?.(7,")
            .and_then(|r| r.strip_suffix(",99)"))
            .unwrap_or_else(|| panic!("not one call: {s}"));
        // The argument is one JSON string literal that reads back as the text.
        let back: String = serde_json::from_str(args).unwrap_or_else(|e| panic!("{e}: {args}"));
        assert_eq!(back, hostile);
        // Nothing a JavaScript parser ends a line or a string at is left raw.
        for c in ['\u{2028}', '\u{2029}', '\n', '\r', '\0'] {
            assert!(!args.contains(c), "{c:?} raw in {args}");
        }
        assert!(args.starts_with('"') && args.ends_with('"'));
    }
}
