/// The document's styles, inline (the report fetches nothing). Sizes in rem so 200% zoom reflows; focus is
/// always visible; contrast of text at least 4.5:1.
enum PageStyle {
    static let css = """
        :root { color-scheme: light; --ink: #1b1b1b; --muted: #4a4a4a; --line: #c8c8c8; --focus: #b30059; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 1rem/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fff; }
        header, nav, main { padding: 0.5rem 1.25rem; max-width: 90rem; margin: 0 auto; }
        header { border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 1rem; align-items: baseline; }
        .brand { margin: 0; font-weight: 600; } .brand a { color: var(--ink); }
        .generated { margin: 0; color: var(--muted); font-size: 0.9rem; }
        h1 { font-size: 1.5rem; margin: 1rem 0 0.25rem; } h1 small { font-weight: 400; color: var(--muted); font-size: 1rem; }
        h2 { font-size: 1.2rem; margin: 1.5rem 0 0.5rem; } h3 { font-size: 1rem; margin: 0 0 0.25rem; } h3 small { font-weight: 400; color: var(--muted); }
        .picker { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: end; }
        .picker input, .picker select, .picker button { font: inherit; padding: 0.3rem 0.5rem; }
        .range, .links { margin: 0.25rem 0; color: var(--muted); } .hint { font-size: 0.85rem; }
        a { color: #0b5cad; } a:focus, [tabindex]:focus, button:focus, input:focus, select:focus { outline: 3px solid var(--focus); outline-offset: 2px; }
        figure { margin: 0.75rem 0; } figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 0.25rem; }
        svg.lanes { width: 100%; height: auto; display: block; border: 1px solid var(--line); border-radius: 4px; background: #fcfcfc; cursor: crosshair; }
        svg.lanes text { font: 12px system-ui, sans-serif; fill: var(--ink); }
        svg.lanes .tick { stroke: #e2e2e2; } svg.lanes .separator { stroke: var(--line); }
        svg.lanes .frontend { font-weight: 600; }
        svg.lanes .bar-text { fill: #fff; font-weight: 600; paint-order: stroke; stroke: rgba(0,0,0,0.45); stroke-width: 2px; }
        svg.lanes .lane:focus { outline: none; } svg.lanes .lane:focus .bar { stroke: var(--focus); stroke-width: 3px; }
        svg.lanes .marker line { stroke: #1b1b1b; stroke-width: 1.5; stroke-dasharray: 3 3; }
        svg.lanes .marker path { fill: #1b1b1b; } svg.lanes .marker:hover path, svg.lanes .marker:focus path { fill: var(--focus); }
        svg.lanes .marker:focus line { stroke: var(--focus); stroke-width: 3; }
        .swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; vertical-align: -0.1em; }
        table { border-collapse: collapse; margin: 0.5rem 0 1rem; width: 100%; }
        caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
        th, td { border-bottom: 1px solid var(--line); padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
        .reload { border-left: 4px solid var(--line); padding: 0.25rem 0.75rem; margin: 0 0 1rem; }
        .reload:target, .reload:focus { border-left-color: var(--focus); background: #fff4f8; }
        .changes { margin: 0.25rem 0; } .seq { font-variant-numeric: tabular-nums; }
        tr.error td:first-child { font-weight: 700; }
        """
}
