/**
 * The deployment prefix of every topic (SPEC §2), checked before any topic
 * name is built from it: a name Kafka would refuse fails here, naming the rule
 * and where the name came from.
 */
import { deploymentName, type GlobalOptions } from './deps.js';
import { UsageError } from './errors.js';
import { deploymentNameProblem } from '../messages/topics.js';

export function checkedDeploymentName(globals: Pick<GlobalOptions, 'deploymentName'>, env: NodeJS.ProcessEnv): string | undefined {
  const name = deploymentName(globals, env);
  if (name === undefined) return undefined;
  const problem = deploymentNameProblem(name);
  if (problem) {
    const source = globals.deploymentName !== undefined ? '--deployment-name' : 'THOTH_DEPLOYMENT_NAME';
    throw new UsageError(`${source} ${JSON.stringify(name.slice(0, 60))} cannot prefix a topic: ${problem}`);
  }
  return name;
}
