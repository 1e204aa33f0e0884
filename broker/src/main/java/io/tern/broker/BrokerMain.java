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
            System.err.println("tern-broker: cannot listen on " + config.bindAddress() + ":" + config.port() +
                ": " + ex);
            System.exit(1);
            return;
        }

        final CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());

        final var address = broker.localAddress();
        System.out.println("tern broker listening on " + address.getAddress().getHostAddress() + ":" +
            address.getPort());
        System.out.print(config.describe());
        System.out.flush();

        stop.await();
        System.out.println("tern broker shutting down");
        broker.close();
        System.out.println("tern broker stopped");
        System.out.flush();
        System.exit(0);
    }
}
