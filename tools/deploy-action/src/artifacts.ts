/**
 * A root's reviewed plan travels as an artifact: the binary plan, its JSON and a small manifest
 * of sha256s, named by environment, root and head SHA. Tests use a directory; Actions its store.
 */
import { DefaultArtifactClient } from "@actions/artifact";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PlanSummary } from "./plan-summary.ts";

export const PLAN_FILE = "plan.tfplan";
export const PLAN_JSON = "plan.json";
export const MANIFEST = "manifest.json";

export interface PlanManifest {
  environment: string;
  root: string;
  headSha: string;
  /** The root's sha256 from deployments.json at the reviewed head. */
  rootSha256: string;
  tool: string;
  toolVersion: string;
  /** sha256 of each file of the bundle. */
  files: Record<string, string>;
  summary: PlanSummary;
}

export interface PlanStore {
  /** Uploads every file in `dir` as the artifact `name`. */
  upload(name: string, dir: string): Promise<void>;
  /** Downloads the artifact `name` into `dest`; false when there is none. */
  download(name: string, dest: string): Promise<boolean>;
}

export function artifactName(environment: string, root: string, headSha: string): string {
  return `tandem-plan-${environment}-${root}-${headSha}`;
}

export function sha256File(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** Writes manifest.json beside the plan and its JSON; returns the manifest. */
export function writeBundle(dir: string, fields: Omit<PlanManifest, "files">): PlanManifest {
  const manifest: PlanManifest = {
    ...fields,
    files: {
      [PLAN_FILE]: sha256File(join(dir, PLAN_FILE)),
      [PLAN_JSON]: sha256File(join(dir, PLAN_JSON)),
    },
  };
  writeFileSync(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export class TamperedBundle extends Error {}

/** The bundle's manifest after checking every file against its sha256. */
export function readBundle(dir: string): PlanManifest {
  const file = join(dir, MANIFEST);
  if (!existsSync(file)) throw new TamperedBundle(`the artifact has no ${MANIFEST}`);
  const manifest = JSON.parse(readFileSync(file, "utf8")) as PlanManifest;
  for (const name of [PLAN_FILE, PLAN_JSON]) {
    const path = join(dir, name);
    if (!existsSync(path)) throw new TamperedBundle(`the artifact has no ${name}`);
    const actual = sha256File(path);
    if (actual !== manifest.files?.[name])
      throw new TamperedBundle(
        `${name} has sha256 ${actual}, not the ${manifest.files?.[name] ?? "(none)"} its manifest records: the artifact was altered`,
      );
  }
  return manifest;
}

/** Artifacts as folders under one directory: tests, and runs outside GitHub Actions. */
export class DirectoryStore implements PlanStore {
  constructor(readonly base: string) {}

  async upload(name: string, dir: string): Promise<void> {
    const target = join(this.base, name);
    mkdirSync(target, { recursive: true });
    cpSync(dir, target, { recursive: true });
  }

  async download(name: string, dest: string): Promise<boolean> {
    const source = join(this.base, name);
    if (!existsSync(source)) return false;
    mkdirSync(dest, { recursive: true });
    cpSync(source, dest, { recursive: true });
    return true;
  }
}

export interface ActionsStoreOptions {
  token: string;
  owner: string;
  repo: string;
  /** The runs to look in for a download, newest first (the pull request head's plan runs). */
  runs: () => Promise<number[]>;
  retentionDays?: number;
}

/** GitHub Actions artifacts (@actions/artifact); downloads find the plan run by its id. */
export class ActionsStore implements PlanStore {
  private readonly client = new DefaultArtifactClient();

  constructor(private readonly options: ActionsStoreOptions) {}

  async upload(name: string, dir: string): Promise<void> {
    const files = readdirSync(dir).map((f) => join(dir, f));
    await this.client.uploadArtifact(name, files, dir, {
      retentionDays: this.options.retentionDays ?? 30,
    });
  }

  async download(name: string, dest: string): Promise<boolean> {
    const { token, owner, repo } = this.options;
    for (const workflowRunId of await this.options.runs()) {
      const findBy = { token, workflowRunId, repositoryOwner: owner, repositoryName: repo };
      const found = await this.client.getArtifact(name, { findBy }).catch(() => undefined);
      if (!found) continue;
      await this.client.downloadArtifact(found.artifact.id, { path: dest, findBy });
      return true;
    }
    return false;
  }
}
