/**
 * @module bench/lib/workers
 * Spawns load worker processes (bench/worker.ts) and talks to them over Bun IPC.
 */
import type { Subprocess } from "bun";
import { join } from "node:path";
import { track } from "./children.ts";
import type { FromWorker, ToWorker, WorkerJob } from "./ipc.ts";

type Kind = FromWorker["t"];
type MessageOf<K extends Kind> = Extract<FromWorker, { t: K }>;

export class WorkerHandle {
  /** The latest progress report. */
  progress: MessageOf<"progress"> = { t: "progress", ready: 0, failed: 0, delivered: 0, published: 0, churnConnects: 0 };
  private readonly inbox: FromWorker[] = [];
  private waiter: { kind: Kind; resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private proc!: Subprocess;

  private constructor(readonly job: WorkerJob) {}

  get pid(): number {
    return this.proc.pid;
  }

  /** Starts a worker, hands it its job, and waits until it is prepared (tokens minted). */
  static async spawn(job: WorkerJob, cpus?: string, profileDir?: string): Promise<WorkerHandle> {
    const handle = new WorkerHandle(job);
    const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=worker${job.worker}-${Date.now()}.cpuprofile`] : [];
    let cmd = [process.execPath, ...profile, join(import.meta.dir, "..", "worker.ts")];
    if (cpus) cmd = ["taskset", "-c", cpus, ...cmd];
    handle.proc = track(
      Bun.spawn(cmd, {
        stdio: ["ignore", "inherit", "inherit"],
        serialization: "json",
        ipc: (message) => handle.receive(message as FromWorker),
      }),
    );
    void handle.proc.exited.then((code) => handle.fail(new Error(`worker ${job.worker} exited with ${code}`)));
    handle.send({ t: "job", job });
    await handle.next("prepared", 30_000);
    return handle;
  }

  send(message: ToWorker): void {
    this.proc.send(message);
  }

  private receive(message: FromWorker): void {
    if (message.t === "progress") {
      this.progress = message;
      return;
    }
    if (message.t === "fatal") {
      this.fail(new Error(`worker ${this.job.worker} failed: ${message.message}`));
      return;
    }
    if (this.waiter && this.waiter.kind === message.t) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(message);
    } else this.inbox.push(message);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.waiter?.reject(error);
    this.waiter = undefined;
  }

  /** Waits for the worker's next message of a kind. */
  next<K extends Kind>(kind: K, timeoutMs: number): Promise<MessageOf<K>> {
    const queued = this.inbox.findIndex((m) => m.t === kind);
    if (queued >= 0) return Promise.resolve(this.inbox.splice(queued, 1)[0] as MessageOf<K>);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`worker ${this.job.worker}: no "${kind}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        kind,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as MessageOf<K>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Asks the worker to exit (it drops its connections), and kills it if it does not. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.failure ??= new Error("stopped");
    try {
      this.send({ t: "exit" });
    } catch {
      // already gone
    }
    const exited = await Promise.race([this.proc.exited.then(() => true), Bun.sleep(3_000).then(() => false)]);
    if (!exited) this.proc.kill("SIGKILL");
  }
}

/** Sends a command to every worker and waits for each one's answer. */
export async function all<K extends Kind>(workers: WorkerHandle[], command: ToWorker, answer: K, timeoutMs: number): Promise<MessageOf<K>[]> {
  const answers = workers.map((w) => w.next(answer, timeoutMs));
  for (const w of workers) w.send(command);
  return Promise.all(answers);
}
