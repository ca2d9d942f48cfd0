// The public statistics' chart: dossiers resolved early, on time and late per group (stacked bars), online payments
// (a bar of its own), the satisfaction rate and the share of feedback answered on time (lines on a 0–100 axis); the
// table below carries the same figures for screen readers and without JavaScript.
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

interface ChartData {
  labels: string[];
  early: number[];
  onTime: number[];
  late: number[];
  payments: number[];
  satisfaction: Array<number | null>;
  feedbackOnTime: Array<number | null>;
  names: { early: string; onTime: string; late: string; payments: string; satisfaction: string; feedbackOnTime: string };
  axes: { count: string; rate: string };
}

const el = document.getElementById('st-chart');
if (el?.dataset.chart) {
  const d = JSON.parse(el.dataset.chart) as ChartData;
  const chart = echarts.init(el, undefined, { renderer: 'svg' });
  chart.setOption({
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 40, bottom: 60, top: 120 },
    xAxis: { type: 'category', data: d.labels, axisLabel: { rotate: 50 } },
    yAxis: [{ type: 'value', name: d.axes.count }, { type: 'value', name: d.axes.rate, min: 0, max: 100, splitLine: { show: false } }],
    series: [
      { name: d.names.early, type: 'bar', stack: 'all', data: d.early, itemStyle: { color: '#0b6e4f' } },
      { name: d.names.onTime, type: 'bar', stack: 'all', data: d.onTime, itemStyle: { color: '#1f5fa8' } },
      { name: d.names.late, type: 'bar', stack: 'all', data: d.late, itemStyle: { color: '#b42318' } },
      { name: d.names.payments, type: 'bar', data: d.payments, itemStyle: { color: '#7a5a00' } },
      { name: d.names.satisfaction, type: 'line', yAxisIndex: 1, data: d.satisfaction, itemStyle: { color: '#6b2fa3' } },
      { name: d.names.feedbackOnTime, type: 'line', yAxisIndex: 1, data: d.feedbackOnTime, itemStyle: { color: '#00707a' } },
    ],
  });
  window.addEventListener('resize', () => chart.resize());
}
