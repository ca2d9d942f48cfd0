// The reporting dashboard's chart: units on time, late and missing per receiving unit (a stacked bar
// chart); the table beside it carries the same figures for screen readers and without JavaScript.
import * as echarts from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

interface ChartData { labels: string[]; onTime: number[]; late: number[]; missing: number[]; names: { onTime: string; late: string; missing: string } }

const el = document.getElementById('rp-chart');
if (el?.dataset.chart) {
  const d = JSON.parse(el.dataset.chart) as ChartData;
  const chart = echarts.init(el, undefined, { renderer: 'svg' });
  // Colours with at least 3:1 contrast against white, told apart by the legend's names too.
  chart.setOption({
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 10, bottom: 40, top: 40 },
    xAxis: { type: 'category', data: d.labels, axisLabel: { rotate: 60 } },
    yAxis: { type: 'value' },
    series: [
      { name: d.names.onTime, type: 'bar', stack: 'all', data: d.onTime, itemStyle: { color: '#1a7f37' } },
      { name: d.names.late, type: 'bar', stack: 'all', data: d.late, itemStyle: { color: '#b35900' } },
      { name: d.names.missing, type: 'bar', stack: 'all', data: d.missing, itemStyle: { color: '#b42318' } },
    ],
  });
  window.addEventListener('resize', () => chart.resize());
}
