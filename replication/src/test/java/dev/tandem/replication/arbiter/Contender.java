package dev.tandem.replication.arbiter;

import dev.tandem.replication.arbiter.Arbiter.Candidate;
import dev.tandem.replication.arbiter.Arbiter.Lease;

import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * One replica process for the process-level arbiter tests: races for leadership until the arbiter
 * has granted {@code lastEpoch}; while it holds a lease it renews it and, every millisecond it
 * finds the lease valid, "acts" by appending {@code EPOCH BEFORE AFTER} to its act file (the
 * {@link System#nanoTime()} just before and just after {@code isValid()} answered true; one
 * write call: what a leader releasing output would do). Prints {@code WON EPOCH} when it wins.
 *
 * <p>Args: {@code DIR NODE_ID LEASE_MS HOLD_MS LAST_EPOCH ACT_FILE KILL_EVERY}: an epoch that is a
 * multiple of KILL_EVERY (and below LAST_EPOCH) is held until the test kills the process (if the
 * lease is lost before that, the process just waits for the kill).
 */
public final class Contender {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String node = args[1];
        Duration lease = Duration.ofMillis(Long.parseLong(args[2]));
        long holdMs = Long.parseLong(args[3]);
        long lastEpoch = Long.parseLong(args[4]);
        long killEvery = Long.parseLong(args[6]);
        PrintStream out = new PrintStream(new FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        try (FileArbiter arb = new FileArbiter(dir, lease);
             OutputStream acts = new FileOutputStream(args[5], true)) {
            out.println("READY " + node);
            long renewEvery = arb.renewInterval().toNanos();
            while (arb.current().map(Arbiter.LeaderRecord::epoch).orElse(0L) < lastEpoch) {
                Optional<Lease> won = arb.tryAcquire(new Candidate(node, "127.0.0.1:0", 0));
                if (won.isEmpty()) {
                    LockSupport.parkNanos(rnd.nextLong(1_000_000, 10_000_000));
                    continue;
                }
                Lease l = won.get();
                out.println("WON " + l.epoch());
                boolean toBeKilled = l.epoch() % killEvery == 0 && l.epoch() < lastEpoch;
                long end = toBeKilled ? Long.MAX_VALUE : System.nanoTime() + (holdMs / 2 + rnd.nextLong(holdMs)) * 1_000_000;
                long nextRenew = System.nanoTime() + renewEvery;
                while (System.nanoTime() < end) {
                    if (System.nanoTime() >= nextRenew) {
                        if (!l.renew()) {
                            break;
                        }
                        nextRenew += renewEvery;
                    }
                    long before = System.nanoTime();
                    boolean valid = l.isValid();
                    long after = System.nanoTime();
                    if (!valid) {
                        break;
                    }
                    acts.write((l.epoch() + " " + before + " " + after + "\n").getBytes(StandardCharsets.US_ASCII));
                    LockSupport.parkNanos(1_000_000);
                }
                out.println((l.isValid() ? "RELEASE " : "LOST ") + l.epoch());
                if (toBeKilled) {
                    while (true) {
                        LockSupport.parkNanos(1_000_000_000L); // lost early: wait for the kill without releasing
                    }
                }
                l.close();
                LockSupport.parkNanos(rnd.nextLong(1_000_000, 5_000_000));
            }
        }
        out.println("DONE");
    }
}
