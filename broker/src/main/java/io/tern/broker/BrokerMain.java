/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;

import sun.misc.Signal;

/**
 * Runs the broker from the command line: {@code java -jar tern-broker.jar [--option value]...}.
 * <p>
 * Prints the address it listens on and its effective settings, then runs until SIGINT or SIGTERM, when it shuts down
 * in order ({@link Broker#close()}) and exits 0. Exit status 2 means a bad option, 1 a failure to start.
 */
public final class BrokerMain
{
    static
    {
        // One line per log record; must be set before java.util.logging starts.
        if (null == System.getProperty("java.util.logging.SimpleFormatter.format"))
        {
            System.setProperty("java.util.logging.SimpleFormatter.format",
                "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
    }

    private BrokerMain()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        if (args.length > 0 && args[0].equals("adduser"))
        {
            System.exit(addUser(args));
            return;
        }
        final BrokerConfig config = new BrokerConfig();
        try
        {
            for (int i = 0; i < args.length; i++)
            {
                final String arg = args[i];
                if (arg.equals("--help") || arg.equals("-h"))
                {
                    System.out.print(BrokerConfig.usage());
                    return;
                }
                if (!arg.startsWith("--"))
                {
                    throw new IllegalArgumentException("unexpected argument '" + arg + "'");
                }
                final int equals = arg.indexOf('=');
                if (equals > 0)
                {
                    config.set(arg.substring(2, equals), arg.substring(equals + 1));
                }
                else if (i + 1 < args.length)
                {
                    config.set(arg.substring(2), args[++i]);
                }
                else
                {
                    throw new IllegalArgumentException("option " + arg + " needs a value");
                }
            }
            config.conclude();
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("tern-broker: " + ex.getMessage());
            System.err.println("Try --help for the list of options.");
            System.exit(2);
            return;
        }

        final Broker broker;
        try
        {
            broker = Broker.launch(config);
        }
        catch (final IOException | RuntimeException ex)
        {
            System.err.println("tern-broker: cannot start on " + config.bindAddress() + ":" + config.port() +
                ": " + ex.getMessage());
            System.exit(1);
            return;
        }

        final CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());

        final var address = broker.localAddress();
        System.out.println("tern broker listening on " + address.getAddress().getHostAddress() + ":" +
            address.getPort());
        final var admin = broker.adminAddress();
        if (null != admin)
        {
            System.out.println("tern broker admin on http://" + admin.getAddress().getHostAddress() + ":" +
                admin.getPort() + "/ (/metrics, /histograms, /health)");
        }
        System.out.print(config.describe());
        System.out.flush();

        stop.await();
        System.out.println("tern broker shutting down");
        broker.close();
        System.out.println("tern broker stopped");
        System.out.flush();
        System.exit(0);
    }

    /**
     * {@code adduser FILE NAME [ITERATIONS]}: adds or replaces a user in a credentials file, reading the secret from
     * the console without echo, or from the first line of standard input when there is no console.
     */
    private static int addUser(final String[] args)
    {
        if (args.length < 3 || args.length > 4)
        {
            System.err.println("Usage: java -jar tern-broker.jar adduser FILE NAME [ITERATIONS]   (secret read from stdin)");
            return 2;
        }
        try
        {
            final int iterations = args.length == 4 ? Integer.parseInt(args[3]) : CredentialsFile.DEFAULT_ITERATIONS;
            final char[] secret;
            final java.io.Console console = System.console();
            if (null != console)
            {
                secret = console.readPassword("secret for %s: ", args[2]);
            }
            else
            {
                final String line = new java.io.BufferedReader(
                    new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8)).readLine();
                secret = null == line ? new char[0] : line.strip().toCharArray();
            }
            CredentialsFile.addUser(java.nio.file.Path.of(args[1]), args[2], secret, iterations);
            java.util.Arrays.fill(secret, '\0');
            System.out.println("added '" + args[2] + "' to " + args[1]);
            return 0;
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            System.err.println("tern-broker adduser: " + ex.getMessage());
            return 2;
        }
    }
}
