/** A small line chart on a canvas: steps along x, one scale on the left and one on the right. */

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly axis: 'left' | 'right';
  readonly points: readonly (readonly [x: number, y: number])[];
  /** Draw a dot at each point instead of a line. */
  readonly dots?: boolean;
}

export interface ChartScales {
  readonly xMax: number;
  readonly xLabel: string;
  readonly left: { readonly max: number; readonly label: string };
  readonly right: { readonly max: number; readonly label: string };
}

const MARGIN = { left: 46, right: 46, top: 22, bottom: 30 };

/** Redraws the whole chart (a few hundred points: cheap enough on every update). */
export function drawChart(canvas: HTMLCanvasElement, series: readonly Series[], scales: ChartScales): void {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + (x / Math.max(1, scales.xMax)) * plotW;
  const py = (y: number, max: number) => MARGIN.top + plotH - (Math.min(y, max) / max) * plotH;

  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = '#ccc';
  ctx.fillStyle = '#555';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = MARGIN.top + (plotH * i) / 4;
    ctx.beginPath();
    ctx.moveTo(MARGIN.left, y);
    ctx.lineTo(MARGIN.left + plotW, y);
    ctx.stroke();
    ctx.textAlign = 'right';
    ctx.fillText(format(scales.left.max * (1 - i / 4)), MARGIN.left - 4, y + 4);
    ctx.textAlign = 'left';
    ctx.fillText(format(scales.right.max * (1 - i / 4)), MARGIN.left + plotW + 4, y + 4);
  }
  ctx.textAlign = 'center';
  if (scales.xMax >= 4) for (let i = 0; i <= 4; i++) ctx.fillText(String(Math.round((scales.xMax * i) / 4)), px((scales.xMax * i) / 4), MARGIN.top + plotH + 14);
  ctx.fillText(scales.xLabel, MARGIN.left + plotW / 2, height - 2);
  ctx.textAlign = 'left';
  ctx.fillText(scales.left.label, 2, 12);
  ctx.textAlign = 'right';
  ctx.fillText(scales.right.label, width - 2, 12);

  let legendX = MARGIN.left + 80;
  for (const s of series) {
    const max = s.axis === 'left' ? scales.left.max : scales.right.max;
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 1.5;
    if (s.dots) {
      for (const [x, y] of s.points) {
        ctx.beginPath();
        ctx.arc(px(x), py(y, max), 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    } else {
      ctx.beginPath();
      s.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(px(x), py(y, max)) : ctx.lineTo(px(x), py(y, max))));
      ctx.stroke();
    }
    ctx.fillRect(legendX, 5, 10, 8);
    ctx.textAlign = 'left';
    ctx.fillText(s.label, legendX + 13, 13);
    legendX += ctx.measureText(s.label).width + 30;
  }
}

const format = (v: number) => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2));
