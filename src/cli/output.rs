//! Printing one record per input as a table, JSON lines or CSV, in input order.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Map, Value};

use super::Format;

/// One input's result: the fields scripts read, and the line people read.
pub struct Record {
    pub fields: Map<String, Value>,
    pub table_line: String,
}

/// Writes records in input order, although they arrive in completion order.
pub struct Printer<W: Write> {
    format: Format,
    columns: &'static [&'static str],
    out: W,
    pending: BTreeMap<usize, Record>,
    next: usize,
    /// The reader went away (`| head`): nothing more can be written.
    closed: bool,
}

impl<W: Write> Printer<W> {
    /// `columns` are the CSV columns, taken from each record's fields by name.
    pub fn new(format: Format, columns: &'static [&'static str], mut out: W) -> Self {
        if format == Format::Csv {
            // A byte-order mark lets Excel open UTF-8 (Chinese messages) correctly.
            let _ = out.write_all("\u{feff}".as_bytes());
            let _ = out.write_all(&csv_line(columns.iter().copied()));
        }
        Self {
            format,
            columns,
            out,
            pending: BTreeMap::new(),
            next: 0,
            closed: false,
        }
    }

    /// Whether the output was closed by its reader.
    pub fn closed(&self) -> bool {
        self.closed
    }

    pub fn push(&mut self, index: usize, record: Record) {
        self.pending.insert(index, record);
        while let Some(record) = self.pending.remove(&self.next) {
            self.write(record);
            self.next += 1;
        }
    }

    fn write(&mut self, record: Record) {
        if self.closed {
            return;
        }
        let line = match self.format {
            Format::Table => format!("{}\n", record.table_line).into_bytes(),
            Format::Json => format!("{}\n", Value::Object(record.fields)).into_bytes(),
            Format::Csv => {
                let row: Vec<String> = self
                    .columns
                    .iter()
                    .map(|column| match record.fields.get(*column) {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(text)) => text.clone(),
                        Some(other) => other.to_string(),
                    })
                    .collect();
                csv_line(row.iter())
            }
        };
        let written = self.out.write_all(&line).and_then(|()| self.out.flush());
        if let Err(err) = written {
            // Any write error means no later line can arrive either; a broken pipe is
            // the usual one and is not worth a message.
            if err.kind() != std::io::ErrorKind::BrokenPipe {
                tracing::warn!(%err, "output could not be written");
            }
            self.closed = true;
        }
    }

    /// Write what is still pending (inputs whose predecessors never reported).
    pub fn finish(mut self) {
        let pending = std::mem::take(&mut self.pending);
        for record in pending.into_values() {
            self.write(record);
        }
    }
}

/// One CSV row with the csv crate's quoting, so rows can be written as they arrive.
fn csv_line<T: AsRef<[u8]>>(fields: impl IntoIterator<Item = T>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(fields);
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(input: &str) -> Record {
        let mut fields = Map::new();
        fields.insert("input".into(), Value::from(input));
        fields.insert("count".into(), Value::from(3));
        fields.insert("message".into(), Value::from("检测人流量为: 3人, \"ok\""));
        Record {
            fields,
            table_line: format!("line {input}"),
        }
    }

    /// A writer whose reader has gone, like stdout into `| head` after it exits.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_output_is_noticed_not_a_panic() {
        let mut printer = Printer::new(Format::Json, &[], ClosedPipe);
        assert!(!printer.closed());
        printer.push(0, record("a"));
        assert!(printer.closed());
        printer.push(1, record("b"));
        printer.finish();
    }

    #[test]
    fn records_come_out_in_input_order() {
        let mut out = Vec::new();
        let mut printer = Printer::new(Format::Table, &[], &mut out);
        printer.push(1, record("b"));
        printer.push(2, record("c"));
        printer.push(0, record("a"));
        printer.finish();
        assert_eq!(String::from_utf8_lossy(&out), "line a\nline b\nline c\n");
    }

    #[test]
    fn csv_has_a_bom_a_header_and_quoted_fields() {
        let mut out = Vec::new();
        let mut printer = Printer::new(Format::Csv, &["input", "count", "message"], &mut out);
        printer.push(0, record("a,b.jpg"));
        printer.finish();
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            text,
            "\u{feff}input,count,message\n\"a,b.jpg\",3,\"检测人流量为: 3人, \"\"ok\"\"\"\n"
        );
    }

    #[test]
    fn json_is_one_object_per_line() {
        let mut out = Vec::new();
        let mut printer = Printer::new(Format::Json, &[], &mut out);
        printer.push(0, record("a"));
        printer.push(1, record("b"));
        printer.finish();
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["input"], "b");
    }
}
