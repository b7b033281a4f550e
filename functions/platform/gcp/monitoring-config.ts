/**
 * Configuration of monitoring on GCP (the drift-check function, and the api's drift and ops routes): the
 * learning settings, the buckets and topic it uses, and `LEDGERX_MONITORING` (JSON of MonitoringConfig,
 * set by Terraform from var.monitoring). Every problem is reported at once.
 */
import { z } from 'zod';
import { MonitoringConfigSchema, type MonitoringConfig } from '../../core/monitoring/config.js';
import { ConfigError, type Env } from './config.js';
import { loadLearningConfig, type GcpLearningConfig } from './learning-config.js';

const MonitoringEnv = z.object({
  LEDGERX_ARTIFACTS_BUCKET: z.string({ error: 'is required' }).min(1, 'is required'),
  LEDGERX_TOPIC_RETRAIN: z.string().min(1).default('retrain-requested'),
  LEDGERX_COLLECTION_INVOICES: z.string().min(1).default('invoices'),
  LEDGERX_MONITORING: z.string().default('{}'),
});

export interface GcpMonitoringConfig extends GcpLearningConfig {
  artifactsBucket: string;
  retrainTopic: string;
  invoicesCollection: string;
  monitoring: MonitoringConfig;
}

/** Throws ConfigError listing every problem (of the learning settings and of monitoring's own). */
export function loadMonitoringConfig(name: string, env: Env = process.env): GcpMonitoringConfig {
  const problems: string[] = [];
  let learning: GcpLearningConfig | undefined;
  try {
    learning = loadLearningConfig(name, env);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
  const e = MonitoringEnv.safeParse(env);
  if (!e.success) problems.push(...e.error.issues.map((i) => `${i.path.join('.')} ${i.message}`));
  let monitoring: MonitoringConfig | undefined;
  if (e.success) {
    let json: unknown;
    try {
      json = JSON.parse(e.data.LEDGERX_MONITORING);
    } catch {
      problems.push('LEDGERX_MONITORING must be JSON');
    }
    const parsed = MonitoringConfigSchema.safeParse(json ?? {});
    if (parsed.success) monitoring = parsed.data;
    else problems.push(...parsed.error.issues.map((i) => `LEDGERX_MONITORING.${i.path.join('.')} ${i.message}`));
  }
  if (problems.length > 0 || !learning || !e.success || !monitoring) throw new ConfigError(name, problems);
  return { ...learning, artifactsBucket: e.data.LEDGERX_ARTIFACTS_BUCKET, retrainTopic: e.data.LEDGERX_TOPIC_RETRAIN, invoicesCollection: e.data.LEDGERX_COLLECTION_INVOICES, monitoring };
}
