import type { Migration } from '../migrate.ts';

// The warnings a definition was deployed with (lint findings, parser notes, Camunda 7 delegates), kept
// as JSON so the definition page shows them long after the upload.
export const up: Migration = async ({ context: { qi, longText } }) => {
  await qi.addColumn('engine_definitions', 'warnings', { type: longText, allowNull: true });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.removeColumn('engine_definitions', 'warnings');
};
