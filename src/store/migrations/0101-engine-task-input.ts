import type { Migration } from '../migrate.ts';

// A user task's input mappings (Camunda 8 `zeebe:input`): local values the task shows and its
// output mappings read, kept on the task row as JSON.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.addColumn('engine_tasks', 'input', { type: DataTypes.TEXT, allowNull: true });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.removeColumn('engine_tasks', 'input');
};
