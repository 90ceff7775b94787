import type { SeriesPoint } from '../history-summary.js';

const W = 160;
const H = 44;
const PAD = 4;

/**
 * A small server-rendered line chart of one vital sign or lab over time (no script, no
 * inline style: presentation attributes and CSS classes only, so the CSP holds). The
 * accessible name states what the picture shows.
 */
export function TrendChart(props: { title: string; unit?: string; points: SeriesPoint[] }) {
  const points = props.points.slice(-30);
  if (points.length < 2) return null;
  const times = points.map((p) => Date.parse(p.date)).map((t, i) => (Number.isNaN(t) ? i : t));
  const values = points.map((p) => p.value);
  const [tMin, tMax] = [Math.min(...times), Math.max(...times)];
  const [vMin, vMax] = [Math.min(...values), Math.max(...values)];
  const x = (t: number) => PAD + ((t - tMin) / (tMax - tMin || 1)) * (W - 2 * PAD);
  const y = (v: number) => H - PAD - ((v - vMin) / (vMax - vMin || 1)) * (H - 2 * PAD);
  const coords = points.map((p, i) => `${x(times[i]).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const unit = props.unit ? ` ${props.unit}` : '';
  const label = `${props.title}: ${points.length} results from ${points[0].date.slice(0, 10)} to ${points[points.length - 1].date.slice(0, 10)}, lowest ${round(vMin)}${unit}, highest ${round(vMax)}${unit}, latest ${round(values[values.length - 1])}${unit}`;
  const last = points.length - 1;
  return (
    <svg class="trend" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={label}>
      <title>{label}</title>
      <line class="axis" x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} />
      <polyline points={coords} />
      <circle cx={x(times[last]).toFixed(1)} cy={y(values[last]).toFixed(1)} r="3" />
    </svg>
  );
}

const round = (v: number) => Math.round(v * 100) / 100;
