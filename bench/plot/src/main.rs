//! Bench-only: draws the scaling plot of `cargo xtask bench`.
//!
//! ```sh
//! bench-plot POINTS.tsv OUT.svg
//! ```
//!
//! `POINTS.tsv` has one spec a line: `name`, size in bytes, operations, generation time in
//! seconds, peak RSS in MiB, tab-separated (a `#` line is a comment). The SVG has four
//! panels, log-log: generation time and peak memory against operations and against bytes.

use std::process::ExitCode;

use plotters::prelude::*;

struct Point {
    name: String,
    bytes: f64,
    operations: f64,
    seconds: f64,
    mib: f64,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: bench-plot POINTS.tsv OUT.svg");
        return ExitCode::FAILURE;
    };
    let points = match read(input) {
        Ok(points) if !points.is_empty() => points,
        Ok(_) => {
            eprintln!("{input}: no points");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("{input}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match draw(&points, output) {
        Ok(()) => {
            println!("bench-plot: {} points drawn to {output}", points.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot draw {output}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &str) -> Result<Vec<Point>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut points = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let number = |i: usize| -> Result<f64, String> {
            fields
                .get(i)
                .and_then(|f| f.trim().parse().ok())
                .ok_or_else(|| format!("line {}: field {} is not a number", n + 1, i + 1))
        };
        points.push(Point {
            name: fields.first().copied().unwrap_or_default().to_owned(),
            bytes: number(1)?,
            operations: number(2)?.max(1.0),
            seconds: number(3)?,
            mib: number(4)?,
        });
    }
    Ok(points)
}

/// A tick label: `0.01`, `1`, `10,000`.
fn number(v: f64) -> String {
    if v < 1.0 {
        format!("{v}")
    } else {
        let digits = format!("{v:.0}");
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

fn draw(points: &[Point], output: &str) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(output, (1200, 900)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Generation time and peak memory against spec size (log-log; one point per spec)",
        ("sans-serif", 20),
    )?;
    let panels = root.split_evenly((2, 2));
    // Room on the right for the labels of the largest specs.
    let span = |values: &mut dyn Iterator<Item = f64>, right: f64| {
        let values: Vec<f64> = values.filter(|v| *v > 0.0).collect();
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = values.iter().copied().fold(0.0, f64::max);
        (low / 1.5).max(1e-3)..(high * right)
    };
    type Get = fn(&Point) -> f64;
    let charts: [(&str, &str, Get, Get); 4] = [
        ("operations", "generation time (s)", |p| p.operations, |p| p.seconds),
        ("spec size (bytes)", "generation time (s)", |p| p.bytes, |p| p.seconds),
        ("operations", "peak RSS (MiB)", |p| p.operations, |p| p.mib),
        ("spec size (bytes)", "peak RSS (MiB)", |p| p.bytes, |p| p.mib),
    ];
    for (panel, (x_label, y_label, x, y)) in panels.iter().zip(charts) {
        let x_range = span(&mut points.iter().map(x), 6.0);
        let y_range = span(&mut points.iter().map(y), 1.5);
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{y_label} vs {x_label}"), ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x_range.log_scale(), y_range.log_scale())?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|v| number(*v))
            .y_label_formatter(&|v| number(*v))
            .draw()?;
        chart.draw_series(points.iter().map(|p| Circle::new((x(p), y(p)), 4, BLUE.filled())))?;
        chart.draw_series(points.iter().map(|p| {
            Text::new(
                p.name.clone(),
                (x(p), y(p)),
                ("sans-serif", 11).into_font().color(&BLACK),
            )
        }))?;
    }
    root.present()?;
    Ok(())
}
