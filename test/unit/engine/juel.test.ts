// Camunda 7 JUEL → FEEL: the simple, side-effect-free expressions real files use translate, the FEEL
// means the same on the same variables, and method calls, bean references and templates are refused.
import test from 'ava';
import { evaluate } from 'feelin';
import { juelToFeel, isJuel } from '../../../src/engine/juel.ts';
import { analyzeXml } from '../../../src/engine/definitions.ts';
import { bpmn } from '../../processes/support.ts';

const feel = (juel: string) => {
  const r = juelToFeel(juel);
  if ('error' in r) throw new Error(`${juel}: ${r.error}`);
  return r.feel;
};
const run = (juel: string, vars: Record<string, unknown>) => evaluate(feel(juel).slice(1), vars).value;

test('the conditions of real Camunda 7 files translate to readable FEEL', (t) => {
  t.is(feel('${approved}'), '=approved');
  t.is(feel('#{!approved}'), '=not(approved)');
  t.is(feel('${amount > 1000}'), '=amount > 1000');
  t.is(feel("${x == 'A' && y != 2}"), '=x = "A" and y != 2');
  t.is(feel('${a eq 1 or b lt 2 and c ge 3}'), '=a = 1 or b < 2 and c >= 3');
  t.is(feel('${(a || b) && c}'), '=(a or b) and c');
  t.is(feel('${order.total * 2 - 1 <= limit}'), '=order.total * 2 - 1 <= limit');
  t.is(feel('${n mod 2 == 0}'), '=modulo(n, 2) = 0');
  t.is(feel('${x ? "yes" : null}'), '=(if x then "yes" else null)');
  t.is(feel('${environment.variables.ok}'), '=ok');
});

test('the FEEL gives what JUEL gives on the same variables', (t) => {
  t.is(run('${!approved}', { approved: false }), true);
  t.is(run("${x == 'A' && y != 2}", { x: 'A', y: 2 }), false);
  t.is(run("${x == 'A' && y != 2}", { x: 'A', y: 3 }), true);
  t.is(run('${amount > 1000}', { amount: 999 }), false);
  for (const [value, empty] of [[null, true], ['', true], ['a', false], [[], true], [[1], false], [{}, true], [{ a: 1 }, false], [0, false]] as const) {
    t.is(run('${empty list}', { list: value }), empty, JSON.stringify(value));
    t.is(run('${not empty list}', { list: value }), !empty, JSON.stringify(value));
  }
  t.is(run('${empty missing}', {}), true);
  t.is(run("${s == 'it\\'s'}", { s: "it's" }), true);
});

test('method calls, engine objects and beans, brackets and templates are refused with the reason', (t) => {
  t.like(juelToFeel('${execution.getVariable("x")}'), { error: 'methodCall' });
  t.like(juelToFeel('${customer.prop("age").numberValue() >= 21}'), { error: 'methodCall' });
  t.like(juelToFeel('${check(x)}'), { error: 'methodCall' });
  t.like(juelToFeel('${execution.processBusinessKey}'), { error: 'beanReference' });
  t.like(juelToFeel('${task.assignee == "a"}'), { error: 'beanReference' });
  t.like(juelToFeel('${list[0]}'), { error: 'syntax' });
  t.like(juelToFeel('${a >}'), { error: 'syntax' });
  t.like(juelToFeel('${a$b}'), { error: 'syntax' });
  t.like(juelToFeel('Dear ${name}'), { error: 'composite' });
  t.like(juelToFeel('${a}${b}'), { error: 'composite' });
  t.true(isJuel(' ${x} '));
  t.false(isJuel('=x'));
  t.false(isJuel('officer@{orgCode}'));
});

test('deploy checks FEEL by parsing only: an expression that would run for hours is analysed at once', async (t) => {
  // 90,000 × 90,000 iterations if evaluated; each range is under FEEL_MAX_RANGE, so only a parse can make this quick.
  const xml = bpmn('Process_parseonly', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Gateway_1"/>
    <exclusiveGateway id="Gateway_1" name="?" default="Flow_3"/>
    <sequenceFlow id="Flow_2" sourceRef="Gateway_1" targetRef="End"><conditionExpression>=count(for x in 1..90000, y in 1..90000 return x * y) &gt; 0</conditionExpression></sequenceFlow>
    <sequenceFlow id="Flow_3" sourceRef="Gateway_1" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `);
  const a = await analyzeXml(xml);
  t.deepEqual(a.problems, []);
});
