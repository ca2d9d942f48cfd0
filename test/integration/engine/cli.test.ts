// The engine's CLI against a database file, as an administrator's script would use it.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot } from '../../helpers/server.ts';
import { bpmn } from '../../processes/support.ts';

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-cli-'));
const env = { ...process.env, NODE_ENV: 'test', DATA_DIR: dir, DATABASE_URL: `sqlite:${path.join(dir, 'cli.sqlite')}`, SECRET: 'cli-secret-'.padEnd(40, 'x'), LOG_LEVEL: 'silent' };
const govflow = (...args: string[]) => run(process.execPath, [path.join(repoRoot, 'bin/govflow.js'), ...args], { env, cwd: repoRoot }).catch((e) => e as { stdout: string; stderr: string; code: number });

test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

test.serial('deploy, start, tasks, complete and instance work end to end from the shell', async (t) => {
  const file = path.join(dir, 'cli.bpmn');
  fs.writeFileSync(file, bpmn('Process_cli', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_one"/>
    <userTask id="Task_one" name="Việc một"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_one" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `));
  const deployed = await govflow('deploy', file);
  t.is((deployed as { stdout: string }).stdout.trim(), 'Process_cli 1');
  const started = await govflow('start', 'Process_cli', '--business-key', 'CLI-1', '--vars', '{"x": 1}');
  const instanceId = (started as { stdout: string }).stdout.trim();
  t.regex(instanceId, /^[0-9a-f-]{36}$/);
  const tasks = JSON.parse((await govflow('tasks', '--json') as { stdout: string }).stdout);
  t.is(tasks.length, 1);
  await govflow('complete', String(tasks[0].id), '--vars', '{"y": 2}');
  const shown = JSON.parse((await govflow('instance', instanceId, '--json') as { stdout: string }).stdout);
  t.is(shown.status, 'completed');
  t.deepEqual(shown.variables, { x: 1, y: 2 });
  t.true(shown.history.length > 4);
});

test.serial('a rejected file prints every problem and exits non-zero', async (t) => {
  const file = path.join(dir, 'bad.bpmn');
  fs.writeFileSync(file, bpmn('Process_bad', '<startEvent id="Start" name="s"/><sequenceFlow id="F" sourceRef="Start" targetRef="S"/><scriptTask id="S" name="x"><script>1</script></scriptTask>'));
  const r = (await govflow('deploy', file)) as { stderr: string; code: number };
  t.is(r.code, 1);
  t.regex(r.stderr, /script task/);
});

test.serial('complete exits 2 and names the incident when the instance stops at a gateway no flow leaves', async (t) => {
  const file = path.join(dir, 'cli-stuck.bpmn');
  fs.writeFileSync(file, bpmn('Process_cliStuck', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_one"/>
    <userTask id="Task_one" name="Nhập số tiền"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_one" targetRef="Gateway_amount"/>
    <exclusiveGateway id="Gateway_amount" name="Số tiền?"/>
    <sequenceFlow id="Flow_big" name="Lớn" sourceRef="Gateway_amount" targetRef="End"><conditionExpression>=amount &gt; 100</conditionExpression></sequenceFlow>
    <endEvent id="End" name="Xong"/>
  `));
  await govflow('deploy', file);
  const instanceId = ((await govflow('start', 'Process_cliStuck')) as { stdout: string }).stdout.trim();
  const tasks = JSON.parse((await govflow('tasks', '--json') as { stdout: string }).stdout) as Array<{ id: number; instanceId: string }>;
  const task = tasks.find((x) => x.instanceId === instanceId)!;
  const done = await govflow('complete', String(task.id), '--vars', '{"amount": 5}') as { stdout: string; stderr: string; code?: number };
  t.is(done.code, 2);
  t.regex(done.stderr, /No outgoing flow of Gateway_amount matches/);
  t.is(done.stdout.trim(), `${instanceId} active`);
});
