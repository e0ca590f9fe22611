//! The parsing cases of SSE-CONFORMANCE.md (from web-platform-tests `eventsource/`), each fed
//! whole, a byte at a time, and in uneven chunks.

use super::*;

fn parse_in(chunks: &[&[u8]], max: usize) -> Vec<Parsed> {
    let mut parser = Parser::new(max);
    let mut out = Vec::new();
    for chunk in chunks {
        parser.push(chunk, &mut |p| out.push(p));
    }
    out
}

/// Every way of splitting `stream` we try must give the same result.
fn parse(stream: &[u8]) -> Vec<Parsed> {
    let whole = parse_in(&[stream], DEFAULT_MAX_EVENT_BYTES);
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(
        parse_in(&bytes, DEFAULT_MAX_EVENT_BYTES),
        whole,
        "byte by byte"
    );
    let uneven: Vec<&[u8]> = stream.chunks(7).collect();
    assert_eq!(
        parse_in(&uneven, DEFAULT_MAX_EVENT_BYTES),
        whole,
        "in sevens"
    );
    whole
}

fn data(stream: &[u8]) -> Vec<String> {
    parse(stream)
        .into_iter()
        .filter_map(|p| match p {
            Parsed::Event(e) => Some(e.data),
            _ => None,
        })
        .collect()
}

fn events(stream: &[u8]) -> Vec<SseEvent> {
    parse(stream)
        .into_iter()
        .filter_map(|p| match p {
            Parsed::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[test]
fn bom() {
    assert_eq!(
        data("\u{FEFF}data:1\n\n\u{FEFF}data:2\n\ndata:3\n\n".as_bytes()),
        ["1", "3"]
    );
    assert_eq!(
        data("\u{FEFF}\u{FEFF}data:1\n\ndata:2\n\ndata:3\n\n".as_bytes()),
        ["2", "3"]
    );
}

#[test]
fn comments() {
    let x = "x".repeat(2048);
    let stream = format!("data:1\r:\0\n:\r\ndata:2\n:{x}\rdata:3\n:data:fail\r:{x}\ndata:4\n\n");
    assert_eq!(data(stream.as_bytes()), ["1\n2\n3\n4"]);
}

#[test]
fn field_data() {
    assert_eq!(
        data(b"data:\n\ndata\ndata\n\ndata:test\n\n"),
        ["", "\n", "test"]
    );
}

#[test]
fn event_type() {
    let got = events(b"event:test\ndata:x\n\ndata:x\n\n");
    assert_eq!(
        (got[0].event_type.as_str(), got[1].event_type.as_str()),
        ("test", "message")
    );
    assert_eq!(events(b"event: \ndata:data\n\n")[0].event_type, "message");
}

#[test]
fn field_parsing() {
    let stream = b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n";
    assert_eq!(data(stream), ["\0\n 2\n1\n3\n\n4"]);
}

#[test]
fn unknown_fields_leading_space_and_newlines() {
    assert_eq!(
        data(
            b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n"
        ),
        ["test\n\ntest"]
    );
    assert_eq!(
        data(b"data:\ttest\rdata: \ndata:test\n\n"),
        ["\ttest\n\ntest"]
    );
    assert_eq!(
        data(b"data:test\r\ndata\ndata:test\r\n\r\n"),
        ["test\n\ntest"]
    );
    assert_eq!(data(b"data:\0\n\n"), ["\0"]);
}

#[test]
fn event_data() {
    let stream = b"data:msg\ndata: msg\n\n:\nfalsefield:msg\n\nfalsefield:msg\nData:data\n\ndata\n\ndata:end\n\n";
    assert_eq!(data(stream), ["msg\nmsg", "", "end"]);
}

#[test]
fn partial_event_at_the_end_is_not_dispatched() {
    assert_eq!(data(b"data: a\n\ndata: partial"), ["a"]);
}

#[test]
fn cr_split_over_chunks() {
    let chunks: [&[u8]; 6] = [
        b"data: Hello\r",
        b"\ndata: World\r",
        b"\n\r\ndata: OK\r",
        b"\n",
        b"\r",
        b"\n",
    ];
    let got: Vec<String> = parse_in(&chunks, DEFAULT_MAX_EVENT_BYTES)
        .into_iter()
        .filter_map(|p| {
            if let Parsed::Event(e) = p {
                Some(e.data)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(got, ["Hello\nWorld", "OK"]);
    assert_eq!(data(b"data: a\rdata: b\r\r"), ["a\nb"]);
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    assert_eq!(
        data(b"data: a\xffb\n\ndata: next\n\n"),
        ["a\u{FFFD}b", "next"]
    );
}

#[test]
fn blocks_with_nothing_to_dispatch_do_not_stop_the_stream() {
    for block in [
        &b"retry: abc\n\n"[..],
        b"event:\n\n",
        b"foo: bar\n\n",
        b"id: a\0b\n\n",
    ] {
        let mut stream = block.to_vec();
        stream.extend_from_slice(b"data: after\n\n");
        assert_eq!(
            data(&stream),
            ["after"],
            "{}",
            String::from_utf8_lossy(block)
        );
    }
}

#[test]
fn ids_persist_reset_and_refuse_nul() {
    let got = events(b"id: 1\ndata: a\n\nid: x\0y\ndata: b\n\n");
    assert_eq!((got[0].id.as_str(), got[1].id.as_str()), ("1", "1"));
    let got = events(b"id: 1\ndata: 1\n\nid\ndata: 2\n\ndata: 3\n\n");
    let ids: Vec<&str> = got.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["1", "", ""]);
    let mut parser = Parser::new(DEFAULT_MAX_EVENT_BYTES);
    parser.push(b"id: 7\n\n", &mut |_| {});
    assert_eq!(
        parser.last_event_id(),
        "7",
        "an id-only block still sets the last id"
    );
    parser.reconnected();
    assert_eq!(parser.last_event_id(), "7", "and it survives a reconnect");
}

#[test]
fn an_id_changes_the_last_id_only_when_its_event_is_dispatched() {
    // `id: 2` and half of event 2, then the connection drops (WHATWG: the `id:` line fills a
    // buffer; the last event id string changes on dispatch).
    let mut parser = Parser::new(DEFAULT_MAX_EVENT_BYTES);
    let mut got = Vec::new();
    parser.push(b"id: 1\ndata: a\n\nid: 2\ndata: b", &mut |p| got.push(p));
    assert_eq!(parser.last_event_id(), "1", "event 2 was never dispatched");
    parser.reconnected();
    assert_eq!(
        parser.last_event_id(),
        "1",
        "so a reconnect asks for what follows 1"
    );
    // The cut-off `id: 2` is gone with its connection: the next event without an id of its
    // own carries 1.
    parser.push(b"data: c\n\n", &mut |p| got.push(p));
    let ids: Vec<&str> = got
        .iter()
        .filter_map(|p| match p {
            Parsed::Event(e) => Some(e.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, ["1", "1"]);
}

#[test]
fn retry_takes_digits_only() {
    assert_eq!(parse(b"retry: 1500\n\n"), [Parsed::Retry(1500)]);
    assert_eq!(parse(b"retry: +1500\n\n"), []);
    assert_eq!(parse(b"retry:03000\n\n"), [Parsed::Retry(3000)]);
    let got = parse(b"retry:3000\nretry:1000x\ndata:x\n\n");
    assert_eq!(got[0], Parsed::Retry(3000));
    assert_eq!(got.len(), 2, "1000x is ignored: {got:?}");
}

#[test]
fn a_large_event_is_delivered_and_a_monster_is_dropped_with_bounded_memory() {
    let big = format!("data:{}\n\ndata: after\n\n", "y".repeat(5 << 20));
    let chunks: Vec<&[u8]> = big.as_bytes().chunks(65536).collect();
    let got = parse_in(&chunks, DEFAULT_MAX_EVENT_BYTES);
    assert!(matches!(&got[0], Parsed::Event(e) if e.data.len() == 5 << 20));

    let mut parser = Parser::new(1 << 20);
    let mut out = Vec::new();
    parser.push(b"data:", &mut |p| out.push(p));
    let block = vec![b'z'; 65536];
    for _ in 0..64 {
        parser.push(&block, &mut |p| out.push(p));
        assert!(parser.line.capacity() <= (1 << 20) + 65536 + 64, "bounded");
    }
    parser.push(b"\n\ndata: after\n\n", &mut |p| out.push(p));
    assert!(
        matches!(out[0], Parsed::TooLarge { bytes } if bytes > 4 << 20),
        "{:?}",
        out[0]
    );
    assert!(matches!(&out[1], Parsed::Event(e) if e.data == "after"));
    // A long comment is not an event: nothing is dropped for it.
    let mut out = Vec::new();
    let mut parser = Parser::new(1024);
    parser.push(
        format!(":{}\ndata: ok\n\n", "c".repeat(5000)).as_bytes(),
        &mut |p| out.push(p),
    );
    assert!(
        matches!(&out[..], [Parsed::Event(e)] if e.data == "ok"),
        "{out:?}"
    );
}

/// Found by the fuzzing harness (tests/fixtures/fuzz/sse/found-8bd39b283b674c0d): bytes that
/// are not UTF-8 each become U+FFFD, three bytes, so an event within the bound on the wire
/// was kept at up to three times the bound. It is measured as it is kept now.
#[test]
fn bytes_that_are_not_utf8_count_as_the_text_they_become() {
    let max = 4096;
    let line = [b"data: ".as_slice(), &[0xff; 2000], b"\n\ndata: after\n\n"].concat();
    let got = parse_in(&[&line], max);
    assert!(
        matches!(got[0], Parsed::TooLarge { bytes } if bytes > max),
        "{:?}",
        got[0]
    );
    assert!(matches!(&got[1], Parsed::Event(e) if e.data == "after"));
    // Within the bound as text, it is delivered.
    let line = [b"data: ".as_slice(), &[0xff; 1300], b"\n\n"].concat();
    let got = parse_in(&[&line], max);
    assert!(matches!(&got[0], Parsed::Event(e) if e.data.chars().count() == 1300));
}
