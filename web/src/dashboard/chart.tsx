import { BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartData, type ChartOptions } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);
Chart.defaults.font.family = 'system-ui, sans-serif';
Chart.defaults.color = '#5b6270';
Chart.defaults.animation = false;

export const PALETTE = ['#fe2c55', '#25a4f5', '#00b894', '#fdcb6e', '#6c5ce7', '#e17055', '#00cec9', '#636e72', '#d63031', '#a29bfe'];

type Kind = 'line' | 'bar';

/** A chart.js canvas that updates in place when `data` changes. */
export function ChartBox<K extends Kind>(props: { type: K; data: ChartData<K>; options?: ChartOptions<K>; testid?: string; height?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<K> | null>(null);
  useEffect(() => {
    chart.current = new Chart<K>(canvas.current!, {
      type: props.type,
      data: props.data,
      options: { responsive: true, maintainAspectRatio: false, ...props.options } as ChartOptions<K>,
    });
    return () => chart.current?.destroy();
  }, [props.type]);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data = props.data;
    c.update();
  }, [props.data]);
  return (
    <div class="chart" style={{ height: `${props.height ?? 220}px` }} data-testid={props.testid}>
      <canvas ref={canvas} />
    </div>
  );
}
