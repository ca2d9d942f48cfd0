import type { Migration } from '../migrate.ts';

// The process engine's tables: deployed definitions, instances with their persisted state, user
// tasks, the shared job table, incidents, message/signal subscriptions and the history timeline.
export const up: Migration = async ({ context: { qi, DataTypes, longText: long } }) => {
  await qi.createTable('engine_definitions', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    key: { type: DataTypes.STRING(190), allowNull: false },
    version: { type: DataTypes.INTEGER, allowNull: false },
    name: { type: DataTypes.STRING(255), allowNull: true },
    sha256: { type: DataTypes.STRING(64), allowNull: false },
    xml: { type: long, allowNull: false },
    context: { type: long, allowNull: false },
    meta: { type: long, allowNull: false },
    source_name: { type: DataTypes.STRING(255), allowNull: true },
    deployed_by: { type: DataTypes.STRING(64), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('engine_definitions', ['key', 'version'], { unique: true, name: 'engine_definitions_key_version' });
  await qi.addIndex('engine_definitions', ['key', 'sha256'], { name: 'engine_definitions_key_sha' });

  await qi.createTable('engine_instances', {
    id: { type: DataTypes.STRING(36), primaryKey: true },
    definition_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'engine_definitions', key: 'id' } },
    definition_key: { type: DataTypes.STRING(190), allowNull: false },
    business_key: { type: DataTypes.STRING(190), allowNull: true },
    status: { type: DataTypes.STRING(16), allowNull: false },
    state: { type: long, allowNull: true },
    variables: { type: long, allowNull: false },
    runtime: { type: DataTypes.TEXT, allowNull: false },
    active_elements: { type: DataTypes.TEXT, allowNull: false },
    version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
    started_by: { type: DataTypes.STRING(64), allowNull: true },
    started_at: { type: DataTypes.DATE, allowNull: false },
    ended_at: { type: DataTypes.DATE, allowNull: true },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('engine_instances', ['definition_key', 'business_key'], { name: 'engine_instances_key_bk' });
  await qi.addIndex('engine_instances', ['business_key'], { name: 'engine_instances_bk' });
  await qi.addIndex('engine_instances', ['status', 'started_at'], { name: 'engine_instances_status' });

  await qi.createTable('engine_tasks', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    instance_id: { type: DataTypes.STRING(36), allowNull: false },
    definition_key: { type: DataTypes.STRING(190), allowNull: false },
    business_key: { type: DataTypes.STRING(190), allowNull: true },
    element_id: { type: DataTypes.STRING(190), allowNull: false },
    execution_id: { type: DataTypes.STRING(190), allowNull: false },
    name: { type: DataTypes.STRING(255), allowNull: true },
    form_key: { type: DataTypes.STRING(255), allowNull: true },
    assignee: { type: DataTypes.STRING(64), allowNull: true },
    candidate_groups: { type: DataTypes.STRING(1000), allowNull: true },
    candidate_users: { type: DataTypes.STRING(1000), allowNull: true },
    org_code: { type: DataTypes.STRING(40), allowNull: true },
    due_at: { type: DataTypes.DATE, allowNull: true },
    follow_up_at: { type: DataTypes.DATE, allowNull: true },
    priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 50 },
    status: { type: DataTypes.STRING(16), allowNull: false },
    claimed_at: { type: DataTypes.DATE, allowNull: true },
    completed_at: { type: DataTypes.DATE, allowNull: true },
    completed_by: { type: DataTypes.STRING(64), allowNull: true },
    outcome: { type: DataTypes.TEXT, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('engine_tasks', ['status', 'assignee'], { name: 'engine_tasks_status_assignee' });
  await qi.addIndex('engine_tasks', ['instance_id'], { name: 'engine_tasks_instance' });
  await qi.addIndex('engine_tasks', ['status', 'due_at'], { name: 'engine_tasks_status_due' });

  await qi.createTable('engine_jobs', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    kind: { type: DataTypes.STRING(64), allowNull: false },
    instance_id: { type: DataTypes.STRING(36), allowNull: true },
    element_id: { type: DataTypes.STRING(190), allowNull: true },
    execution_id: { type: DataTypes.STRING(190), allowNull: true },
    payload: { type: DataTypes.TEXT, allowNull: true },
    run_at: { type: DataTypes.DATE(3), allowNull: false },
    lease_owner: { type: DataTypes.STRING(190), allowNull: true },
    lease_until: { type: DataTypes.DATE(3), allowNull: true },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    last_error: { type: DataTypes.TEXT, allowNull: true },
    status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('engine_jobs', ['status', 'run_at'], { name: 'engine_jobs_due' });
  await qi.addIndex('engine_jobs', ['instance_id'], { name: 'engine_jobs_instance' });

  await qi.createTable('engine_incidents', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    instance_id: { type: DataTypes.STRING(36), allowNull: false },
    element_id: { type: DataTypes.STRING(190), allowNull: false },
    execution_id: { type: DataTypes.STRING(190), allowNull: true },
    handler: { type: DataTypes.STRING(190), allowNull: true },
    error: { type: DataTypes.TEXT, allowNull: false },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    status: { type: DataTypes.STRING(16), allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    resolved_at: { type: DataTypes.DATE, allowNull: true },
    resolved_by: { type: DataTypes.STRING(64), allowNull: true },
  });
  await qi.addIndex('engine_incidents', ['status'], { name: 'engine_incidents_status' });
  await qi.addIndex('engine_incidents', ['instance_id'], { name: 'engine_incidents_instance' });

  await qi.createTable('engine_subscriptions', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    instance_id: { type: DataTypes.STRING(36), allowNull: false },
    kind: { type: DataTypes.STRING(16), allowNull: false },
    name: { type: DataTypes.STRING(190), allowNull: false },
    ref_id: { type: DataTypes.STRING(190), allowNull: false },
    element_id: { type: DataTypes.STRING(190), allowNull: false },
    business_key: { type: DataTypes.STRING(190), allowNull: true },
  });
  await qi.addIndex('engine_subscriptions', ['kind', 'name', 'business_key'], { name: 'engine_subscriptions_lookup' });
  await qi.addIndex('engine_subscriptions', ['instance_id'], { name: 'engine_subscriptions_instance' });

  await qi.createTable('engine_history', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    instance_id: { type: DataTypes.STRING(36), allowNull: false },
    element_id: { type: DataTypes.STRING(190), allowNull: true },
    element_type: { type: DataTypes.STRING(64), allowNull: true },
    element_name: { type: DataTypes.STRING(255), allowNull: true },
    event: { type: DataTypes.STRING(32), allowNull: false },
    actor: { type: DataTypes.STRING(64), allowNull: true },
    outcome: { type: DataTypes.TEXT, allowNull: true },
    comment: { type: DataTypes.TEXT, allowNull: true },
    at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('engine_history', ['instance_id', 'id'], { name: 'engine_history_instance' });
};

export const down: Migration = async ({ context: { qi } }) => {
  for (const table of ['engine_history', 'engine_subscriptions', 'engine_incidents', 'engine_jobs', 'engine_tasks', 'engine_instances', 'engine_definitions']) {
    await qi.dropTable(table);
  }
};
