// Sequelize models of the process engine. Rows hold JSON as text so SQLite and MariaDB agree.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** One deployed version of a process definition; `context` is the parsed definition, serialized once. */
export class EngineDefinition extends Model {
  declare id: number;
  declare key: string;
  declare version: number;
  declare name: string | null;
  declare sha256: string;
  declare xml: string;
  declare context: string;
  declare meta: string;
  declare sourceName: string | null;
  declare deployedBy: string | null;
  /** JSON list of the warnings found at deploy (null: deployed before warnings were kept). */
  declare warnings: string | null;
  declare createdAt: Date;
}

/** A running or finished process instance with its persisted engine state and variables. */
export class EngineInstance extends Model {
  declare id: string;
  declare definitionId: number;
  declare definitionKey: string;
  declare businessKey: string | null;
  declare status: 'active' | 'completed' | 'cancelled' | 'failed';
  declare state: string | null;
  declare variables: string;
  declare runtime: string;
  declare activeElements: string;
  declare version: number;
  declare startedBy: string | null;
  declare startedAt: Date;
  declare endedAt: Date | null;
  /** The instance whose call activity started this one, and the waiting execution there. */
  declare parentInstanceId: string | null;
  declare parentExecutionId: string | null;
  /** The org unit the instance belongs to (code and materialized path, fixed at start; null: system-wide). */
  declare orgCode: string | null;
  declare orgPath: string | null;
  declare updatedAt: Date;
}

/** A user task waiting for (or done by) a person. */
export class EngineTask extends Model {
  declare id: number;
  declare instanceId: string;
  declare definitionKey: string;
  declare businessKey: string | null;
  declare elementId: string;
  declare executionId: string;
  declare name: string | null;
  declare formKey: string | null;
  declare assignee: string | null;
  declare candidateGroups: string | null;
  declare candidateUsers: string | null;
  declare orgCode: string | null;
  declare dueAt: Date | null;
  declare followUpAt: Date | null;
  declare priority: number;
  declare status: 'open' | 'completed' | 'cancelled';
  declare claimedAt: Date | null;
  declare completedAt: Date | null;
  declare completedBy: string | null;
  declare outcome: string | null;
  /** Input mappings evaluated when the task was created (JSON object), or null. */
  declare input: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** A durable job: a BPMN timer, a service retry, or another domain's registered kind. */
export class EngineJob extends Model {
  declare id: number;
  declare kind: string;
  declare instanceId: string | null;
  declare elementId: string | null;
  declare executionId: string | null;
  declare payload: string | null;
  declare runAt: Date;
  declare leaseOwner: string | null;
  declare leaseUntil: Date | null;
  declare attempts: number;
  declare lastError: string | null;
  declare status: 'pending' | 'failed';
  declare createdAt: Date;
}

/** A service task whose retries ran out; the instance waits there until an admin retries it. */
export class EngineIncident extends Model {
  declare id: number;
  declare instanceId: string;
  declare elementId: string;
  declare executionId: string | null;
  declare handler: string | null;
  declare error: string;
  /** Catalog key of the message (`incidents:…`), null on older rows. */
  declare code: string | null;
  /** JSON object of the message's parameters. */
  declare params: string | null;
  declare attempts: number;
  declare status: 'open' | 'resolved';
  declare createdAt: Date;
  declare resolvedAt: Date | null;
  declare resolvedBy: string | null;

  /** The message parameters as an object (empty on older rows). */
  paramsObject(): Record<string, unknown> {
    return parseIncidentParams(this.params);
  }
}

/** Parses an incident's stored message parameters; anything unreadable is no parameters. */
export function parseIncidentParams(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** An instance waiting for a named message or signal. */
export class EngineSubscription extends Model {
  declare id: number;
  declare instanceId: string;
  declare kind: 'message' | 'signal';
  declare name: string;
  declare refId: string;
  declare elementId: string;
  declare businessKey: string | null;
}

/** One line of an instance's timeline. */
export class EngineHistory extends Model {
  declare id: number;
  declare instanceId: string;
  declare elementId: string | null;
  declare elementType: string | null;
  declare elementName: string | null;
  declare event: string;
  declare actor: string | null;
  declare outcome: string | null;
  declare comment: string | null;
  declare at: Date;
}

/** Defines the engine's models on a connection. */
export function initEngineModels(sequelize: Sequelize): void {
  // Column sizes (LONGTEXT on MySQL) live in the migration; the models only need the kind of value.
  const str = (n = 190, allowNull = true) => ({ type: DataTypes.STRING(n), allowNull });
  EngineDefinition.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      key: str(190, false),
      version: { type: DataTypes.INTEGER, allowNull: false },
      name: str(255),
      sha256: str(64, false),
      xml: { type: DataTypes.TEXT, allowNull: false },
      context: { type: DataTypes.TEXT, allowNull: false },
      meta: { type: DataTypes.TEXT, allowNull: false },
      sourceName: str(255),
      deployedBy: str(64),
      warnings: { type: DataTypes.TEXT, allowNull: true },
    },
    { sequelize, tableName: 'engine_definitions', underscored: true, updatedAt: false },
  );
  EngineInstance.init(
    {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      definitionId: { type: DataTypes.INTEGER, allowNull: false },
      definitionKey: str(190, false),
      businessKey: str(190),
      status: str(16, false),
      state: { type: DataTypes.TEXT, allowNull: true },
      variables: { type: DataTypes.TEXT, allowNull: false },
      runtime: { type: DataTypes.TEXT, allowNull: false },
      activeElements: { type: DataTypes.TEXT, allowNull: false },
      version: { type: DataTypes.INTEGER, allowNull: false },
      startedBy: str(64),
      startedAt: { type: DataTypes.DATE, allowNull: false },
      endedAt: { type: DataTypes.DATE, allowNull: true },
      parentInstanceId: str(36),
      parentExecutionId: str(190),
      orgCode: str(40),
      orgPath: str(255),
    },
    { sequelize, tableName: 'engine_instances', underscored: true, createdAt: false },
  );
  EngineTask.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      instanceId: str(36, false),
      definitionKey: str(190, false),
      businessKey: str(190),
      elementId: str(190, false),
      executionId: str(190, false),
      name: str(255),
      formKey: str(255),
      assignee: str(64),
      candidateGroups: str(1000),
      candidateUsers: str(1000),
      orgCode: str(40),
      dueAt: { type: DataTypes.DATE, allowNull: true },
      followUpAt: { type: DataTypes.DATE, allowNull: true },
      priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 50 },
      status: str(16, false),
      claimedAt: { type: DataTypes.DATE, allowNull: true },
      completedAt: { type: DataTypes.DATE, allowNull: true },
      completedBy: str(64),
      outcome: { type: DataTypes.TEXT, allowNull: true },
      input: { type: DataTypes.TEXT, allowNull: true },
    },
    { sequelize, tableName: 'engine_tasks', underscored: true },
  );
  EngineJob.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      kind: str(64, false),
      instanceId: str(36),
      elementId: str(190),
      executionId: str(190),
      payload: { type: DataTypes.TEXT, allowNull: true },
      runAt: { type: DataTypes.DATE(3), allowNull: false },
      leaseOwner: str(190),
      leaseUntil: { type: DataTypes.DATE(3), allowNull: true },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lastError: { type: DataTypes.TEXT, allowNull: true },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
    },
    { sequelize, tableName: 'engine_jobs', underscored: true, updatedAt: false },
  );
  EngineIncident.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      instanceId: str(36, false),
      elementId: str(190, false),
      executionId: str(190),
      handler: str(190),
      error: { type: DataTypes.TEXT, allowNull: false },
      code: str(100),
      params: { type: DataTypes.TEXT, allowNull: true },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      status: str(16, false),
      resolvedAt: { type: DataTypes.DATE, allowNull: true },
      resolvedBy: str(64),
    },
    { sequelize, tableName: 'engine_incidents', underscored: true, updatedAt: false },
  );
  EngineSubscription.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      instanceId: str(36, false),
      kind: str(16, false),
      name: str(190, false),
      refId: str(190, false),
      elementId: str(190, false),
      businessKey: str(190),
    },
    { sequelize, tableName: 'engine_subscriptions', underscored: true, timestamps: false },
  );
  EngineHistory.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      instanceId: str(36, false),
      elementId: str(190),
      elementType: str(64),
      elementName: str(255),
      event: str(32, false),
      actor: str(64),
      outcome: { type: DataTypes.TEXT, allowNull: true },
      comment: { type: DataTypes.TEXT, allowNull: true },
      at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { sequelize, tableName: 'engine_history', underscored: true, timestamps: false },
  );
}
