/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * A real {@code nats-server} or {@code redis-server} started for a test on a free loopback port, with its output in a
 * file; stopped (and waited for) on close. Only started when the executable is on the PATH: see
 * {@link #isInstalled(String)}.
 */
final class ExternalServer implements AutoCloseable
{
    private static final long READY_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final int ATTEMPTS = 3;

    private final Process process;
    private final int port;
    private final Path log;

    private ExternalServer(final Process process, final int port, final Path log)
    {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** @return true when the executable is on the PATH. */
    static boolean isInstalled(final String executable)
    {
        final String path = System.getenv("PATH");
        if (null == path)
        {
            return false;
        }
        for (final String dir : path.split(File.pathSeparator))
        {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, executable)))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Starts the server on a free port and waits until it accepts connections. The port is found by binding port 0
     * and closing it; another process could take it in between, so a server that exits at once is retried on
     * another port.
     *
     * @param name    for the log file.
     * @param command the command line for a port.
     * @param dir     for the log file.
     * @return the running server.
     * @throws IOException when it does not come up.
     */
    static ExternalServer start(final String name, final IntFunction<List<String>> command, final Path dir)
        throws IOException
    {
        IOException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++)
        {
            final int port = freePort();
            final Path log = dir.resolve(name + "-" + port + ".log");
            final Process process = new ProcessBuilder(new ArrayList<>(command.apply(port)))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            final ExternalServer server = new ExternalServer(process, port, log);
            final long deadlineNs = System.nanoTime() + READY_TIMEOUT_NS;
            while (process.isAlive() && System.nanoTime() - deadlineNs < 0)
            {
                if (accepts(port))
                {
                    return server;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            server.close();
            last = new IOException(name + " did not start on port " + port + ": " + Files.readString(log));
        }
        throw last;
    }

    int port()
    {
        return port;
    }

    Path log()
    {
        return log;
    }

    /** @return a loopback TCP port that was free when checked (another process may take it before it is used). */
    static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket())
        {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        }
    }

    private static boolean accepts(final int port)
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    @Override
    public void close()
    {
        process.destroy();
        try
        {
            if (!process.waitFor(5, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
