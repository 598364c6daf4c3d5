/**
 * What an `AwsCredentialsProvider` value becomes here:
 * - `default-chain`: the AWS SDK for JavaScript's default provider chain (environment, shared
 *   config/credentials files and SSO, web identity, ECS/EKS container endpoint, EC2 instance
 *   metadata), which is what most Java providers mean;
 * - `environment`: exactly the `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`
 *   variables, as the Java `EnvironmentVariableCredentialsProvider`.
 * @public
 */
export type CredentialsSource = 'default-chain' | 'environment';

/** The mapping of one `AwsCredentialsProvider` value. @public */
export interface CredentialsProviderMapping {
  readonly source: CredentialsSource;
  /** A `ProfileCredentialsProvider|name` argument: the profile the value asks for. */
  readonly profile?: string;
  /** What is not honoured, one sentence each, without the key's name. */
  readonly warnings: readonly string[];
}

/** Whether a Java provider is honoured here, and how. @public */
export interface CredentialsProviderInfo {
  readonly source: CredentialsSource;
  readonly honoured: boolean;
  readonly note: string;
}

const chain = (note: string): CredentialsProviderInfo => ({ source: 'default-chain', honoured: true, note });
const notHonoured = (note: string): CredentialsProviderInfo => ({ source: 'default-chain', honoured: false, note });

/**
 * The Java credential providers (AWS SDK for Java v2 names as the KCL 2.x/3.x daemon takes them,
 * and the v1 names of KCL 1.x files) and what each one becomes here. Any other provider is not
 * honoured: the default chain is used with a warning.
 * @public
 */
export const CREDENTIALS_PROVIDERS: Readonly<Record<string, CredentialsProviderInfo>> = {
  DefaultCredentialsProvider: chain('the default chain'),
  DefaultAWSCredentialsProviderChain: chain('the default chain (the SDK v1 name)'),
  EnvironmentVariableCredentialsProvider: {
    source: 'environment',
    honoured: true,
    note: 'AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the environment; an error if the first two are unset',
  },
  ProfileCredentialsProvider: chain('the default chain, which reads the profile named by AWS_PROFILE (else `default`); a `|name` argument is honoured only when AWS_PROFILE is that name'),
  WebIdentityTokenFileCredentialsProvider: chain('the default chain, which reads AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN'),
  WebIdentityTokenCredentialsProvider: chain('the default chain (the SDK v1 name)'),
  ContainerCredentialsProvider: chain('the default chain, which reads the ECS / EKS Pod Identity container endpoint'),
  EC2ContainerCredentialsProviderWrapper: chain('the default chain (the SDK v1 name)'),
  InstanceProfileCredentialsProvider: chain('the default chain, which ends with the EC2 instance metadata service'),
  SystemPropertyCredentialsProvider: notHonoured('Java system properties do not exist in Node: the default chain is used (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead)'),
  SystemPropertiesCredentialsProvider: notHonoured('Java system properties do not exist in Node (the SDK v1 name): the default chain is used'),
  StsAssumeRoleCredentialsProvider: notHonoured(
    'assuming a role is not supported yet: the default chain is used (a role can be assumed through a profile with role_arn, or AWS_ROLE_ARN with web identity)',
  ),
  KclStsAssumeRoleCredentialsProvider: notHonoured('assuming a role is not supported yet: the default chain is used'),
  STSAssumeRoleSessionCredentialsProvider: notHonoured('assuming a role is not supported yet (the SDK v1 name): the default chain is used'),
  ProcessCredentialsProvider: notHonoured("not supported with a command argument: the default chain is used (it runs a profile's credential_process)"),
  AnonymousCredentialsProvider: notHonoured('unsigned requests are not supported: the default chain is used'),
  StaticCredentialsProvider: notHonoured('cannot be built from a properties file: the default chain is used'),
};

/** Packages whose providers are taken by their simple name. */
const KNOWN_PACKAGES = [
  'software.amazon.awssdk.auth.credentials.',
  'software.amazon.awssdk.services.sts.auth.',
  'software.amazon.kinesis.multilang.auth.',
  'com.amazonaws.auth.profile.',
  'com.amazonaws.auth.',
];

function simpleName(className: string): { name: string; custom: boolean } {
  const prefix = KNOWN_PACKAGES.find((p) => className.startsWith(p));
  if (prefix) return { name: className.slice(prefix.length), custom: false };
  return { name: className, custom: className.includes('.') };
}

/**
 * Maps an `AwsCredentialsProvider` value onto the SDK's credentials: a comma-separated list of
 * providers, each `ClassName|arg|…|key=value` (the Java daemon's nested syntax), simple or
 * fully-qualified names. A single `EnvironmentVariableCredentialsProvider` reads exactly the
 * environment; everything else becomes the default chain, with a warning for each provider it
 * does not stand for (a list is already a chain, and every provider that is honoured is a link of
 * the default chain, in the same order).
 * @public
 */
export function mapCredentialsProvider(value: string, env: Readonly<Record<string, string | undefined>>): CredentialsProviderMapping {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const warnings: string[] = [];
  let profile: string | undefined;
  const infos = entries.map((entry) => {
    const [className = '', ...args] = entry.split('|').map((a) => a.trim());
    const { name, custom } = simpleName(className);
    const info = custom ? undefined : CREDENTIALS_PROVIDERS[name];
    if (!info) {
      warnings.push(`${JSON.stringify(className)} is not a provider this daemon knows${custom ? ' (Java classes cannot run here)' : ''}: the AWS SDK's default credential chain is used instead`);
      return undefined;
    }
    if (!info.honoured) {
      warnings.push(`${name}: ${info.note}`);
      return info;
    }
    const positional = args.filter((a) => !a.includes('='));
    if (name === 'ProfileCredentialsProvider' && positional.length > 0) {
      profile = positional[0];
      if ((env.AWS_PROFILE || 'default') !== profile) {
        warnings.push(
          `ProfileCredentialsProvider|${profile}: the profile is selected by the AWS_PROFILE variable here (now ${env.AWS_PROFILE ? JSON.stringify(env.AWS_PROFILE) : 'unset'}); set AWS_PROFILE=${profile} in the daemon's environment`,
        );
      }
    } else if (args.length > 0) {
      warnings.push(`${name}: the arguments ${args.map((a) => JSON.stringify(a)).join(', ')} are ignored`);
    }
    return info;
  });
  if (entries.length === 0) warnings.push("no provider is named: the AWS SDK's default credential chain is used");
  const source: CredentialsSource = infos.length === 1 && infos[0]?.source === 'environment' ? 'environment' : 'default-chain';
  return { source, ...(profile !== undefined ? { profile } : {}), warnings };
}
