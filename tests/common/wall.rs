//! Reading the wall (SPEC §16) off a terminal emulator's screen: a tile's lines and its peak.

/// The lines inside the tile titled `name` on the wall, from its first line of figures.
pub fn tile(screen: &vt100::Screen, name: &str) -> Option<Vec<String>> {
    let rows: Vec<Vec<char>> = screen
        .contents()
        .lines()
        .map(|l| l.chars().collect())
        .collect();
    let title: Vec<char> = format!("┌ {name} ").chars().collect();
    for (y, row) in rows.iter().enumerate() {
        let Some(x) = row.windows(title.len()).position(|w| w == title) else {
            continue;
        };
        let width = row[x..].iter().position(|&c| c == '┐')?;
        let lines = rows[y + 1..]
            .iter()
            .take_while(|r| r.get(x) == Some(&'│'))
            .map(|r| r[x + 1..(x + width).min(r.len())].iter().collect())
            .collect();
        return Some(lines);
    }
    None
}

/// The peak a tile shows, in Hz.
pub fn tile_peak(screen: &vt100::Screen, name: &str) -> Option<f64> {
    let lines = tile(screen, name)?;
    let words: Vec<&str> = lines.get(1)?.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "peak")?;
    let value: f64 = words.get(at + 1)?.parse().ok()?;
    match *words.get(at + 2)? {
        "kHz" => Some(value * 1000.0),
        "Hz" => Some(value),
        _ => None,
    }
}
