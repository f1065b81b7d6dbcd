/**
 * What passes from a pull request's plan to apply: the reviewed change set (sensitive values only
 * as hashes) and the rendered text plan, named by environment, root and head. No plan file and
 * no plan JSON leave the plan job: they carry prior state and sensitive values, and apply never
 * uses them (it re-plans on the merged code). Tests use a directory; Actions its artifact store.
 */
import { DefaultArtifactClient } from "@actions/artifact";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChangeSet } from "./change-set.ts";

export const CHANGE_SET_FILE = "change-set.json";
export const PLAN_TEXT_FILE = "plan.txt";

export interface Review {
  environment: string;
  root: string;
  headSha: string;
  changeSet: ChangeSet;
}

export type Found = "found" | "missing" | "expired";

export interface PlanStore {
  /** Uploads every file in `dir` as the artifact `name`. */
  upload(name: string, dir: string): Promise<void>;
  /** Downloads the artifact `name`, uploaded by a plan of `headSha`, into `dest`. */
  download(name: string, dest: string, headSha: string): Promise<Found>;
}

export function artifactName(environment: string, root: string, headSha: string): string {
  return `tandem-review-${environment}-${root}-${headSha}`;
}

export function writeReview(dir: string, review: Review, planText: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, CHANGE_SET_FILE), `${JSON.stringify(review, null, 2)}\n`);
  writeFileSync(join(dir, PLAN_TEXT_FILE), planText);
}

export class UnreadableReview extends Error {}

/** The review in `dir`, checked for shape only: its sha256 is checked against the comment. */
export function readReview(dir: string): Review {
  const file = join(dir, CHANGE_SET_FILE);
  if (!existsSync(file)) throw new UnreadableReview(`the artifact has no ${CHANGE_SET_FILE}`);
  let review: Review;
  try {
    review = JSON.parse(readFileSync(file, "utf8")) as Review;
  } catch (error) {
    throw new UnreadableReview(`${CHANGE_SET_FILE} is not JSON: ${(error as Error).message}`);
  }
  const cs = review?.changeSet;
  if (!cs || !Array.isArray(cs.resources) || !Array.isArray(cs.outputs))
    throw new UnreadableReview(`${CHANGE_SET_FILE} holds no change set`);
  return review;
}

/** Artifacts as folders under one directory: tests, and runs outside GitHub Actions. */
export class DirectoryStore implements PlanStore {
  constructor(readonly base: string) {}

  async upload(name: string, dir: string): Promise<void> {
    const target = join(this.base, name);
    mkdirSync(target, { recursive: true });
    cpSync(dir, target, { recursive: true });
  }

  async download(name: string, dest: string): Promise<Found> {
    const source = join(this.base, name);
    if (!existsSync(source)) return "missing";
    mkdirSync(dest, { recursive: true });
    cpSync(source, dest, { recursive: true });
    return "found";
  }
}

export interface StoredArtifact {
  id: number;
  name: string;
  expired: boolean;
}

export interface ActionsStoreOptions {
  token: string;
  owner: string;
  repo: string;
  /** This run's attempt: a re-run uploads under a new name instead of conflicting. */
  attempt: string;
  /** The runs to look in, newest first: plan.yml's pull_request runs of the head. */
  runs: (headSha: string) => Promise<number[]>;
  artifacts: (runId: number) => Promise<StoredArtifact[]>;
  retentionDays?: number;
}

const ATTEMPT = "-attempt-";

/** The latest attempt's artifact of `name` among a run's artifacts. */
export function latestAttempt(name: string, list: StoredArtifact[]): StoredArtifact | undefined {
  const attempt = (a: StoredArtifact) => {
    if (a.name === name) return 0;
    return a.name.startsWith(name + ATTEMPT)
      ? Number(a.name.slice(name.length + ATTEMPT.length))
      : NaN;
  };
  return list
    .filter((a) => Number.isInteger(attempt(a)))
    .sort((a, b) => attempt(b) - attempt(a))[0];
}

/** GitHub Actions artifacts (@actions/artifact); downloads find the plan run by its id. */
export class ActionsStore implements PlanStore {
  private readonly client = new DefaultArtifactClient();

  constructor(private readonly options: ActionsStoreOptions) {}

  async upload(name: string, dir: string): Promise<void> {
    const files = readdirSync(dir).map((f) => join(dir, f));
    await this.client.uploadArtifact(`${name}${ATTEMPT}${this.options.attempt}`, files, dir, {
      retentionDays: this.options.retentionDays ?? 30,
    });
  }

  async download(name: string, dest: string, headSha: string): Promise<Found> {
    const { token, owner, repo } = this.options;
    for (const workflowRunId of await this.options.runs(headSha)) {
      const found = latestAttempt(name, await this.options.artifacts(workflowRunId));
      if (!found) continue;
      if (found.expired) return "expired";
      const findBy = { token, workflowRunId, repositoryOwner: owner, repositoryName: repo };
      await this.client.downloadArtifact(found.id, { path: dest, findBy });
      return "found";
    }
    return "missing";
  }
}
