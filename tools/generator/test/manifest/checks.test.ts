import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { awsBackupScheduleProblem, githubCronProblem } from "../../src/manifest/cron.ts";
import {
  cidrProblem,
  contains,
  domainProblem,
  overlaps,
  parseCidr,
} from "../../src/manifest/net.ts";
import { Releases, resolveVersion } from "../../src/manifest/releases.ts";
import { LOG_RETENTION_DAYS, logRetentionProblem } from "../../src/manifest/retention.ts";
import { nearest } from "../../src/manifest/suggest.ts";
import { releaseRoot } from "../../src/testing.ts";

describe("CIDR blocks", () => {
  it("parse dotted quads with a prefix, rejecting leading zeros and out-of-range parts", () => {
    expect(parseCidr("10.1.0.0/16")).toEqual({ base: 0x0a010000, prefix: 16 });
    expect(parseCidr("255.255.255.255/32")).toEqual({ base: 0xffffffff, prefix: 32 });
    for (const bad of [
      "10.0.0.01/16",
      "256.0.0.0/16",
      "10.0.0.0/33",
      "10.0.0.0/016",
      "10.0.0.0",
      "10.0.0/16",
      " 10.0.0.0/16",
    ]) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
  });

  it("accept /16 to /20 network addresses only, as the networking module does", () => {
    expect(cidrProblem("10.0.0.0/16")).toBeUndefined();
    expect(cidrProblem("10.0.0.0/20")).toBeUndefined();
    expect(cidrProblem("10.0.0.0/15")).toMatch(/^prefix \/15 is outside \/16 to \/20/);
    // A /21 passed the validator and then failed the networking module's plan.
    expect(cidrProblem("10.0.0.0/21")).toMatch(/^prefix \/21 is outside/);
    expect(cidrProblem("10.0.0.0/24")).toMatch(/^prefix \/24 is outside/);
    expect(cidrProblem("192.168.7.0/16")).toBe(
      "`192.168.7.0/16` has host bits set: the network address is 192.168.0.0/16",
    );
  });

  it("accept the RFC 1918 ranges only, up to their edges", () => {
    for (const ok of [
      "10.0.0.0/16",
      "10.255.0.0/16",
      "172.16.0.0/16",
      "172.31.240.0/20",
      "192.168.0.0/16",
    ]) {
      expect(cidrProblem(ok), ok).toBeUndefined();
    }
    for (const bad of [
      "9.255.0.0/16",
      "11.0.0.0/16",
      "172.15.0.0/16",
      "172.32.0.0/16",
      "192.167.0.0/16",
      "192.169.0.0/20",
      "100.64.0.0/16",
      "203.0.112.0/20",
    ]) {
      expect(cidrProblem(bad), bad).toBe(
        `\`${bad}\` is outside the private ranges of RFC 1918 (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16): the VPC's local route would capture traffic to those addresses, so the internet hosts that own them become unreachable through NAT`,
      );
    }
  });

  it("contain a block only when it lies wholly inside", () => {
    const c = (text: string) => parseCidr(text)!;
    expect(contains(c("172.16.0.0/12"), c("172.31.0.0/16"))).toBe(true);
    expect(contains(c("172.31.0.0/16"), c("172.16.0.0/12"))).toBe(false);
    expect(contains(c("192.168.0.0/16"), c("192.168.0.0/16"))).toBe(true);
  });

  it("overlap when one contains the other, also above 128.0.0.0 (unsigned arithmetic)", () => {
    const c = (text: string) => parseCidr(text)!;
    expect(overlaps(c("10.0.0.0/16"), c("10.1.0.0/16"))).toBe(false);
    expect(overlaps(c("10.0.0.0/16"), c("10.0.255.0/24"))).toBe(true);
    expect(overlaps(c("10.0.255.0/24"), c("10.0.0.0/16"))).toBe(true);
    expect(overlaps(c("192.168.0.0/16"), c("192.168.128.0/17"))).toBe(true);
    expect(overlaps(c("192.168.0.0/17"), c("192.168.128.0/17"))).toBe(false);
  });
});

describe("log retention", () => {
  it("accepts exactly the periods CloudWatch Logs lists", () => {
    for (const days of LOG_RETENTION_DAYS)
      expect(logRetentionProblem(days), String(days)).toBeUndefined();
    const accepted = Array.from({ length: 4000 }, (_, i) => i).filter(
      (d) => !logRetentionProblem(d),
    );
    expect(accepted).toEqual([...LOG_RETENTION_DAYS]);
  });

  it("names the accepted periods on either side, or the one nearest outside the list", () => {
    expect(logRetentionProblem(2)).toBe(
      "2 days is not a retention period CloudWatch Logs accepts; the nearest are 1 and 3 days",
    );
    expect(logRetentionProblem(732)).toMatch(/; the nearest are 731 and 1096 days$/);
    expect(logRetentionProblem(3654)).toMatch(/; the nearest is 3653 days$/);
    expect(logRetentionProblem(-1)).toMatch(/^-1 days is not .*; the nearest is 1 day$/);
    expect(logRetentionProblem(0)).toBe(
      "0 (never expire) is not allowed: logs must expire; the nearest retention CloudWatch Logs accepts is 1 day",
    );
  });
});

describe("domain names", () => {
  it("accept delegable LDH names of two or more labels", () => {
    for (const ok of [
      "pay.acme-payments.com",
      "xn--bcher-kva.shop.de",
      "myexample.com",
      "example.com.au",
      `${"a".repeat(63)}.io`,
    ]) {
      expect(domainProblem(ok), ok).toBeUndefined();
    }
  });

  it("reject malformed names, saying what is wrong", () => {
    expect(domainProblem("")).toMatch(/must be a DNS name/);
    expect(domainProblem("pay.acme.com.")).toBe("write `pay.acme.com` without the trailing dot");
    expect(domainProblem("Pay.Acme.com")).toBe("must be lower case: `pay.acme.com`");
    expect(domainProblem("localhost")).toMatch(/needs at least two labels/);
    expect(domainProblem("pay..acme.com")).toMatch(/has an empty label/);
    expect(domainProblem("-pay.acme.com")).toMatch(
      /label `-pay` may contain only letters, digits and hyphens/,
    );
    expect(domainProblem(`${"a".repeat(64)}.io`)).toMatch(
      /is 64 characters; a DNS label has at most 63/,
    );
    expect(domainProblem(`${"abcdefghi.".repeat(25)}com`)).toBeUndefined(); // 253 characters
    expect(domainProblem(`${"abcdefghi.".repeat(25)}comx`)).toMatch(
      /^is 254 characters; a DNS name has at most 253$/,
    );
    expect(domainProblem("10.0.0.1")).toMatch(/ends in a numeric label/);
  });

  it("reject the reserved names, citing the RFC", () => {
    for (const name of ["example.com", "pay.example.net", "a.b.example.org"]) {
      expect(domainProblem(name), name).toMatch(/reserved for documentation \(RFC 2606\)/);
    }
    for (const name of ["pay.example", "pay.test", "pay.invalid", "app.localhost"]) {
      expect(domainProblem(name), name).toMatch(
        /is a reserved top-level domain \(RFC 2606, special-use under RFC 6761\)/,
      );
    }
    expect(domainProblem("payments.testing.local")).toMatch(
      /reserved for multicast DNS \(RFC 6762/,
    );
  });
});

describe("GitHub Actions cron", () => {
  it("accepts the documented syntax", () => {
    for (const ok of [
      "0 6 * * 1",
      "*/15 * * * *",
      "0 0 1 JAN *",
      "30 5,17 * * MON-FRI",
      "20/15 * * * *",
      "0 0-23/2 * * *",
      "0 6 * * sun",
      " 0 6 1 * * ",
    ]) {
      expect(githubCronProblem(ok), ok).toBeUndefined();
    }
  });

  it("rejects out-of-range values, bad ranges, steps and names", () => {
    expect(githubCronProblem("60 * * * *")).toBe("minute 60 is out of range 0-59");
    expect(githubCronProblem("* * 0 * *")).toBe("day-of-month 0 is out of range 1-31");
    expect(githubCronProblem("* * * 13 *")).toBe("month 13 is out of range 1-12");
    expect(githubCronProblem("5-1 * * * *")).toBe("minute range `5-1` runs backwards");
    expect(githubCronProblem("*/0 * * * *")).toBe("minute step `0` must be a number from 1 to 59");
    expect(githubCronProblem("1,,2 * * * *")).toBe("minute `` is malformed");
    expect(githubCronProblem("1-2-3 * * * *")).toBe("minute `1-2-3` is malformed");
    expect(githubCronProblem("1/2/3 * * * *")).toBe("minute `1/2/3` is malformed");
    expect(githubCronProblem("0 6 * * FOO")).toBe(
      "day-of-week `FOO` is not a number or a name (SUN-SAT)",
    );
    expect(githubCronProblem("0 x * * *")).toBe("hour `x` is not a number");
    expect(githubCronProblem("0 6 * * 1-7")).toMatch(/^day-of-week 7 is out of range 0-6/);
  });

  it("explains AWS, Quartz and macro habits", () => {
    expect(githubCronProblem("")).toMatch(/^has 0 fields; GitHub Actions cron has 5 fields/);
    expect(githubCronProblem("0 6 * *")).toMatch(/^has 4 fields/);
    expect(githubCronProblem("0 6 ? * MON")).toBe(
      "`?` is AWS and Quartz syntax; GitHub Actions uses `*`",
    );
    expect(githubCronProblem("@weekly")).toMatch(/is not documented for GitHub Actions/);
    expect(githubCronProblem("cron(0 3 * * ? *)")).toMatch(
      /is AWS EventBridge syntax; .*, e\.g\. "0 3 \* \* \*"$/,
    );
    // AWS numbers weekdays 1-7 from Sunday, GitHub 0-6: no mechanical translation is offered.
    expect(githubCronProblem("cron(0 3 ? * 2 *)")).toMatch(/day-of-week$/);
    expect(githubCronProblem("rate(7 days)")).toMatch(/is AWS EventBridge syntax/);
  });
});

describe("AWS Backup schedules", () => {
  it("accept AWS cron expressions that run at most hourly", () => {
    for (const ok of [
      "cron(0 3 * * ? *)",
      "cron(0 5 ? * MON-FRI *)",
      "cron(0 12 L * ? *)",
      "cron(0 2 ? * 6#3 *)",
      "cron(0 1 ? * 5L 2026)",
      "cron(15 * ? * * *)",
      "cron(0 0 15W * ? *)",
    ]) {
      expect(awsBackupScheduleProblem(ok), ok).toBeUndefined();
    }
  });

  it("reject anything else, saying why", () => {
    expect(awsBackupScheduleProblem("0 3 * * ? *")).toMatch(/^must be an AWS cron expression/);
    expect(awsBackupScheduleProblem("cron(0 3 * *)")).toMatch(/has 6 fields .* found 4$/);
    expect(awsBackupScheduleProblem("cron(0 3 ? * ? *)")).toBe(
      "exactly one of day-of-month and day-of-week must be `?`",
    );
    expect(awsBackupScheduleProblem("cron(0,30 3 * * ? *)")).toMatch(/at most once an hour/);
    expect(awsBackupScheduleProblem("cron(0 24 * * ? *)")).toBe("hour 24 is out of range 0-23");
    expect(awsBackupScheduleProblem("cron(0 3 32 * ? *)")).toBe(
      "day-of-month 32 is out of range 1-31",
    );
    expect(awsBackupScheduleProblem("cron(0 3 ? * 8 *)")).toBe("day-of-week 8 is out of range 1-7");
    expect(awsBackupScheduleProblem("cron(0 3 * * ? 1969)")).toBe(
      "year 1969 is out of range 1970-2199",
    );
    expect(awsBackupScheduleProblem("cron(60 3 * * ? *)")).toBe("minute 60 is out of range 0-59");
    expect(awsBackupScheduleProblem("cron(0 3 * 0 ? *)")).toBe("month 0 is out of range 1-12");
  });
});

describe("module releases", () => {
  it("are the semver-named directories, sorted by version, not by text", () => {
    const root = releaseRoot({ networking: ["1.9.0", "1.10.0", "2.0.0-rc.1", "latest", "1.0"] });
    writeFileSync(join(root, "modules/networking/releases/1.11.0"), "a file, not a release");
    expect(new Releases(root).versions("networking")).toEqual(["1.9.0", "1.10.0", "2.0.0-rc.1"]);
    expect(new Releases(join(root, "nowhere")).versions("dns")).toEqual([]);
  });

  it("resolve exact versions, ranges (never to a prerelease) and reject the rest", () => {
    const root = releaseRoot({ networking: ["1.9.0", "1.10.0", "2.0.0-rc.1"] });
    const releases = new Releases(root);
    expect(resolveVersion("networking", "1.9.0", releases)).toEqual({ version: "1.9.0" });
    expect(resolveVersion("networking", "v1.9.0", releases)).toEqual({ version: "1.9.0" });
    expect(resolveVersion("networking", "^1.0.0", releases)).toEqual({ version: "1.10.0" });
    expect(resolveVersion("networking", ">=1.0.0", releases)).toEqual({ version: "1.10.0" });
    expect(resolveVersion("networking", "2.0.0-rc.1", releases)).toEqual({ version: "2.0.0-rc.1" });
    expect(resolveVersion("networking", "~1.9", releases)).toEqual({ version: "1.9.0" });
    expect(resolveVersion("networking", "1.8.0", releases)).toEqual({
      problem: "1.8.0 is not released; released: 1.9.0, 1.10.0, 2.0.0-rc.1",
    });
    expect(resolveVersion("networking", "latest", releases)).toEqual({
      problem: "`latest` must be an exact version (1.2.3), a semver range (^1.2.0) or `workspace`",
    });
  });

  it("are read once per domain when several manifests share a tree", () => {
    const root = releaseRoot({ dns: ["1.0.0"] });
    const releases = new Releases(root);
    expect(releases.versions("dns")).toEqual(["1.0.0"]);
    mkdirSync(join(root, "modules/dns/releases/1.1.0"));
    expect(releases.versions("dns")).toEqual(["1.0.0"]);
    expect(new Releases(root).versions("dns")).toEqual(["1.0.0", "1.1.0"]);
  });
});

describe("suggestions", () => {
  it("offer the nearest candidate only when it is a plausible typo", () => {
    expect(nearest("us-est-1", ["us-east-1", "us-west-1", "eu-west-1"])).toBe("us-east-1");
    expect(nearest("costcenter", ["Owner", "CostCenter"])).toBe("CostCenter");
    expect(nearest("completely-different", ["name", "account"])).toBeUndefined();
    expect(nearest("x", [])).toBeUndefined();
  });
});
