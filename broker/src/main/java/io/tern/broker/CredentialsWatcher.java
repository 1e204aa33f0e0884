/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

/**
 * Reloads the credentials file when it changes, so that a user added with {@code adduser} (or removed with an editor)
 * counts from the next login without SIGHUP or a restart. Every {@code auth-file-poll-ms} it compares the file's
 * modification time, size and identity with what was last read ({@link ReloadableCredentials#reloadIfChanged()}):
 * a few system calls a second, no reading of the file until it changed, and nothing done on a transport thread.
 * Polling, rather than a {@code WatchService} on the directory, also sees a file replaced behind a symbolic link
 * (as container secrets are) and a file on a network file system.
 * <p>
 * Runs on its own low-duty thread, {@code credentials-watcher}, which sleeps between looks.
 */
final class CredentialsWatcher implements Agent
{
    /** Most time it sleeps at once: how soon it notices that its runner is closing. */
    private static final long SLEEP_MS = 100;

    private final ReloadableCredentials credentials;
    private final long pollNs;
    private long nextLookNs;

    /**
     * @param credentials the file to watch.
     * @param pollMs      how often to look at it, at least 1.
     */
    CredentialsWatcher(final ReloadableCredentials credentials, final long pollMs)
    {
        this.credentials = credentials;
        this.pollNs = TimeUnit.MILLISECONDS.toNanos(pollMs);
    }

    /** @return how its thread waits between duty cycles. */
    IdleStrategy idleStrategy()
    {
        return new SleepingMillisIdleStrategy(Math.max(1, Math.min(SLEEP_MS, TimeUnit.NANOSECONDS.toMillis(pollNs))));
    }

    @Override
    public void onStart()
    {
        nextLookNs = System.nanoTime() + pollNs;
    }

    @Override
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        if (nowNs - nextLookNs < 0)
        {
            return 0;
        }
        nextLookNs = nowNs + pollNs;
        return credentials.reloadIfChanged() ? 1 : 0;
    }

    @Override
    public String roleName()
    {
        return "credentials-watcher";
    }
}
