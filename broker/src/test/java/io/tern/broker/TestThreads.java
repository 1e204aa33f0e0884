/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test threads (writers, readers, a closer), for every broker test package.
 */
public final class TestThreads
{
    private TestThreads()
    {
    }

    /**
     * A cached pool of daemon threads named {@code namePrefix-1}, {@code namePrefix-2}, ...: easy to tell from the
     * broker's own threads in a thread dump, and one still blocked when a test gives up does not keep the JVM alive.
     *
     * @param namePrefix usually the test class's simple name.
     * @return a new pool, to be shut down by the test's tear-down.
     */
    public static ExecutorService newCachedPool(final String namePrefix)
    {
        final AtomicInteger threadCount = new AtomicInteger();
        return Executors.newCachedThreadPool(task ->
        {
            final Thread thread = new Thread(task, namePrefix + "-" + threadCount.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }
}
