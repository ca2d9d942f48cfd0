// The public statistics' chart: dossiers resolved early, on time and late per group (stacked bars); the table
// below carries the same figures for screen readers and without JavaScript.
import * as echarts from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

interface ChartData { labels: string[]; early: number[]; onTime: number[]; late: number[]; names: { early: string; onTime: string; late: string } }

const el = document.getElementById('st-chart');
if (el?.dataset.chart) {
  const d = JSON.parse(el.dataset.chart) as ChartData;
  const chart = echarts.init(el, undefined, { renderer: 'svg' });
  chart.setOption({
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 10, bottom: 60, top: 40 },
    xAxis: { type: 'category', data: d.labels, axisLabel: { rotate: 50 } },
    yAxis: { type: 'value' },
    series: [
      { name: d.names.early, type: 'bar', stack: 'all', data: d.early, itemStyle: { color: '#0b6e4f' } },
      { name: d.names.onTime, type: 'bar', stack: 'all', data: d.onTime, itemStyle: { color: '#1f5fa8' } },
      { name: d.names.late, type: 'bar', stack: 'all', data: d.late, itemStyle: { color: '#b42318' } },
    ],
  });
  window.addEventListener('resize', () => chart.resize());
}
