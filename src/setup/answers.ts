/** The answers of the first-run setup (DESIGN §3), as the question flow fills them in. */

/** The outputs setup can configure. */
export type OutputKind = "console" | "file" | "logstash";

/** Answers asked only for some outputs. */
export interface OutputAnswers {
  /** output.file: the directory of the files. */
  outputPath: string;
  /** output.logstash: the collectors' Beats inputs, as "host:port". */
  outputHosts: string[];
  /** output.logstash: TLS to the collectors (`ssl.enabled`). */
  sslEnabled: boolean;
  /** output.logstash with TLS: absolute path of the CA file (PEM); `""`: the system's CAs. */
  sslCa: string;
  /** output.logstash with TLS: `ssl.verification_mode`. */
  sslVerificationMode: VerificationMode;
}

export const VERIFICATION_MODES = ["full", "certificate", "strict", "none"] as const;
export type VerificationMode = (typeof VERIFICATION_MODES)[number];

/** Every answer of the setup, parsed. Strings are as the file will hold them (`""` = not set). */
export interface Answers extends OutputAnswers {
  /** `name:region` entries or queue URLs. */
  sqsQueues: string[];
  /** true: inside AWS, default credential chain; false: access keys. */
  awsFlag: boolean;
  /** `""`: written as `${S3BEAT_ACCESS_KEY_ID}` (read from the environment at run time). */
  accessKeyID: string;
  /** `""`: written as `${S3BEAT_SECRET_ACCESS_KEY}`. A secret: never echoed, logged or printed. */
  secretAccessKey: string;
  assumeRoleFlag: boolean;
  roleArn: string[];
  externalId: string;
  roleSessionName: string;
  /** Canonical duration text (`7200` and `2h` both become `2h`). */
  sessionDuration: string;
  output: OutputKind;
}

export type AnswerKey = keyof Answers;
