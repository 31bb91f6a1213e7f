// Charts as generated SVG: no library, readable without colour (values written as text,
// each series with its own marker and dash pattern), each with a text alternative.
"use strict";

const SVG = "http://www.w3.org/2000/svg";

function svgNode(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svgRoot(width, height, label) {
  const root = svgNode("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label });
  root.appendChild(svgNode("title", {}, label));
  return root;
}

// groups: [{name, bins: [{label, value}]}]: one cluster of bars per group.
function barChart(container, label, groups) {
  const bar = 40, gap = 8, clusterGap = 48, top = 24, plot = 140, bottom = 44;
  const binCount = groups.length ? groups[0].bins.length : 0;
  const clusterWidth = binCount * (bar + gap);
  const width = Math.max(320, 40 + groups.length * (clusterWidth + clusterGap));
  const height = top + plot + bottom;
  const max = Math.max(1, ...groups.flatMap((g) => g.bins.map((b) => b.value)));
  const root = svgRoot(width, height, label);
  root.appendChild(svgNode("line", { x1: 30, x2: width - 10, y1: top + plot, y2: top + plot, stroke: "#57606a" }));
  groups.forEach((group, g) => {
    const x0 = 40 + g * (clusterWidth + clusterGap);
    group.bins.forEach((bin, b) => {
      const h = Math.round((bin.value / max) * plot);
      const x = x0 + b * (bar + gap);
      root.appendChild(svgNode("rect", { x, y: top + plot - h, width: bar, height: h, fill: "#0969da", "fill-opacity": 0.35 + 0.13 * b, stroke: "#1f2328" }));
      root.appendChild(svgNode("text", { x: x + bar / 2, y: top + plot - h - 4, "text-anchor": "middle" }, String(bin.value)));
      root.appendChild(svgNode("text", { x: x + bar / 2, y: top + plot + 14, "text-anchor": "middle" }, bin.label));
    });
    root.appendChild(svgNode("text", { x: x0 + clusterWidth / 2, y: top + plot + 34, "text-anchor": "middle", "font-weight": "bold" }, group.name));
  });
  container.replaceChildren(root);
}

const MARKERS = ["circle", "square", "triangle", "diamond"];
const DASHES = ["", "6 3", "2 3", "8 3 2 3"];

function marker(shape, x, y) {
  if (shape === "circle") return svgNode("circle", { cx: x, cy: y, r: 4.5, fill: "#fff", stroke: "#1f2328", "stroke-width": 2 });
  if (shape === "square") return svgNode("rect", { x: x - 4, y: y - 4, width: 8, height: 8, fill: "#1f2328" });
  if (shape === "triangle") return svgNode("polygon", { points: `${x},${y - 5} ${x - 5},${y + 4} ${x + 5},${y + 4}`, fill: "#1f2328" });
  return svgNode("polygon", { points: `${x},${y - 5} ${x + 5},${y} ${x},${y + 5} ${x - 5},${y}`, fill: "#fff", stroke: "#1f2328", "stroke-width": 2 });
}

// series: [{name, points: {bucket: percent|null}}], buckets: sorted labels (x axis).
function lineChart(container, label, buckets, series) {
  const left = 44, top = 16, plot = 160, step = 70, legend = 24 * Math.max(1, series.length);
  const width = Math.max(360, left + 30 + Math.max(0, buckets.length - 1) * step + 60);
  const height = top + plot + 30 + legend;
  const root = svgRoot(width, height, label);
  const y = (pct) => top + plot - (pct / 100) * plot;
  for (const tick of [0, 50, 80, 100]) {
    root.appendChild(svgNode("line", { x1: left, x2: width - 20, y1: y(tick), y2: y(tick), stroke: "#d0d7de" }));
    root.appendChild(svgNode("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, `${tick} %`));
  }
  const x = (i) => left + 20 + i * step;
  buckets.forEach((bucket, i) => root.appendChild(svgNode("text", { x: x(i), y: top + plot + 18, "text-anchor": "middle" }, bucket)));
  series.forEach((one, s) => {
    const shape = MARKERS[s % MARKERS.length];
    const known = buckets.map((b, i) => [i, one.points[b]]).filter(([, v]) => v !== null && v !== undefined);
    if (known.length > 1) {
      root.appendChild(svgNode("polyline", { points: known.map(([i, v]) => `${x(i)},${y(v)}`).join(" "), fill: "none", stroke: "#1f2328", "stroke-width": 1.5, "stroke-dasharray": DASHES[s % DASHES.length] }));
    }
    for (const [i, v] of known) root.appendChild(marker(shape, x(i), y(v)));
    const ly = top + plot + 36 + s * 24;
    root.appendChild(svgNode("line", { x1: left, x2: left + 40, y1: ly, y2: ly, stroke: "#1f2328", "stroke-width": 1.5, "stroke-dasharray": DASHES[s % DASHES.length] }));
    root.appendChild(marker(shape, left + 20, ly));
    root.appendChild(svgNode("text", { x: left + 50, y: ly + 4 }, one.name));
  });
  container.replaceChildren(root);
}

window.psxCharts = { barChart, lineChart };
