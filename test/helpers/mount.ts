/**
 * Real small file systems for the disk-full and read-only tests: a `tmpfs` of a chosen size mounted
 * on a fresh temporary directory, which the test can fill to ENOSPC, free again, and remount
 * read-only. Mounting needs root with CAP_SYS_ADMIN (our CI VM and dev machines have it). Where it
 * is impossible the tests skip with a loud message, except under CI=true, where they fail.
 */
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A mounted tmpfs. Call {@link TmpfsMount.unmount} when done (after stopping what uses it). */
export interface TmpfsMount {
  /** The mount point. */
  readonly dir: string;
  /** Writes a filler file until the file system reports ENOSPC. */
  fill(): void;
  /** Deletes the filler file. */
  free(): void;
  /** `mount -o remount,ro` (or `rw`). */
  remount(mode: "ro" | "rw"): void;
  unmount(): void;
}

function run(cmd: string[]): void {
  const result = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (!result.success) throw new Error(`${cmd.join(" ")} failed: ${result.stderr.toString().trim() || `exit ${result.exitCode}`}`);
}

/** Mounts a tmpfs of `bytes` (rounded up to pages) on a new temporary directory. Throws if it cannot. */
export function mountTmpfs(bytes: number): TmpfsMount {
  const dir = mkdtempSync(join(tmpdir(), "hubbub-tmpfs-"));
  try {
    run(["mount", "-t", "tmpfs", "-o", `size=${bytes},mode=0755`, "hubbub-test", dir]);
  } catch (error) {
    rmdirSync(dir);
    throw error;
  }
  const filler = join(dir, "filler");
  let mounted = true;
  return {
    dir,
    fill() {
      const fd = openSync(filler, "a");
      const chunk = new Uint8Array(4096);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as { code?: string }).code !== "ENOSPC") throw error;
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    remount(mode) {
      run(["mount", "-o", `remount,${mode}`, dir]);
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      try {
        run(["umount", dir]);
      } catch {
        run(["umount", "-l", dir]); // still busy (a child not yet reaped): detach it now
      }
      rmdirSync(dir);
    },
  };
}

let probe: { ok: true } | { ok: false; reason: string } | undefined;

/**
 * True when this machine lets the tests mount a tmpfs (tried once with a tiny one). Otherwise
 * prints why, loudly, naming `what` is skipped, and returns false; under CI=true it throws instead,
 * so CI cannot go green without these tests.
 */
export function tmpfsAvailable(what: string): boolean {
  if (probe === undefined) {
    try {
      mountTmpfs(64 * 1024).unmount();
      probe = { ok: true };
    } catch (error) {
      probe = { ok: false, reason: (error as Error).message };
    }
  }
  if (probe.ok) return true;
  const message = `cannot mount a tmpfs here (${probe.reason}); these tests need root with CAP_SYS_ADMIN.`;
  if (process.env.CI === "true" || process.env.CI === "1") throw new Error(`${what} cannot run under CI: ${message}`);
  console.warn(`\n${"!".repeat(100)}\n!!! SKIPPING ${what.toUpperCase()}. ${message}\n${"!".repeat(100)}\n`);
  return false;
}
