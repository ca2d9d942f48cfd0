// The rankings' charts: one horizontal bar per unit, stacked by group of the Decision 766 index, best first; the
// table below carries the same figures for screen readers and without JavaScript.
import * as echarts from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

interface ChartData {
  labels: string[];
  series: Array<{ name: string; data: number[] }>;
  axis: string;
}

const COLORS = ['#1f5fa8', '#0b6e4f', '#7a5a00', '#6b2fa3', '#00707a'];

for (const el of document.querySelectorAll<HTMLElement>('.rk-chart')) {
  if (!el.dataset.chart) continue;
  const d = JSON.parse(el.dataset.chart) as ChartData;
  el.style.height = `${Math.max(220, 120 + d.labels.length * 22)}px`;
  const chart = echarts.init(el, undefined, { renderer: 'svg' });
  chart.setOption({
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0 },
    grid: { left: 8, right: 16, bottom: 24, top: 80, containLabel: true },
    xAxis: { type: 'value', name: d.axis, max: 100 },
    yAxis: { type: 'category', data: d.labels, inverse: true, axisLabel: { width: 140, overflow: 'truncate' } },
    series: d.series.map((s, i) => ({ name: s.name, type: 'bar', stack: 'score', data: s.data, itemStyle: { color: COLORS[i % COLORS.length] } })),
  });
  window.addEventListener('resize', () => chart.resize());
}
