/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

import io.tern.transport.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParseResult;
import sun.misc.Signal;

/**
 * Runs the broker from the command line: {@code java -jar tern-broker.jar [--config FILE] [--option value]...}, or
 * {@code java -jar tern-broker.jar [--config FILE] [--auth-iterations N] adduser FILE NAME [ITERATIONS]} to add a user
 * to a credentials file.
 * <p>
 * The options are made from {@link Settings}, one per setting, by picocli. Settings from {@code --config FILE} are
 * applied first, so options on the command line override them. Prints the address it listens on and its effective
 * settings, then runs until SIGINT or SIGTERM, when it shuts down in order ({@link Broker#close()}) and exits 0.
 * Exit status 2 means a bad option, 1 a failure to start. Runs on the main thread.
 */
public final class BrokerMain
{
    /** Exit status: a bad option, setting or config file. */
    public static final int EXIT_USAGE = 2;
    /** Descriptors the broker needs besides its connections: the JVM's own jars and pipes, sockets, selectors. */
    static final int RESERVED_FILE_DESCRIPTORS = 100;
    /** Exit status: the broker could not start, e.g. its port is taken. */
    public static final int EXIT_START_FAILED = 1;

    static final String CONFIG_OPTION = "--config";
    /** System property naming the command that started the broker, for the usage text (set by bin/tern-broker). */
    static final String COMMAND_PROPERTY = "tern.command";
    private static final String NAME = "tern-broker";

    /** True if the log format is ours and java.util.logging its default configuration: see {@link #main}. */
    private static final boolean DEFAULT_LOGGING;

    static
    {
        // One line per log record; must be set before java.util.logging starts.
        final boolean defaultFormat = null == System.getProperty("java.util.logging.SimpleFormatter.format");
        if (defaultFormat)
        {
            System.setProperty("java.util.logging.SimpleFormatter.format", LogLineFormatter.FORMAT);
        }
        DEFAULT_LOGGING = defaultFormat && null == System.getProperty("java.util.logging.config.file") &&
            null == System.getProperty("java.util.logging.config.class");
    }

    /** {@code adduser FILE NAME [ITERATIONS]}: its arguments, filled in by picocli. */
    @Command(
        name = "adduser",
        description = {
            "Adds or replaces a user in a credentials file (for --auth-file). The secret is read from the console " +
                "without echo, or from the first line of standard input when there is no console."
        })
    static final class AddUser
    {
        @Parameters(index = "0", paramLabel = "FILE", description = "the credentials file; created if missing")
        Path file;

        @Parameters(index = "1", paramLabel = "NAME", description = "the user's name")
        String name;

        @Parameters(index = "2", arity = "0..1", paramLabel = "ITERATIONS",
            description = "PBKDF2 iterations (default: --auth-iterations, given before 'adduser' or in its " +
                "--config, else " + CredentialsFile.DEFAULT_ITERATIONS + "); at most --auth-max-iterations")
        Integer iterations;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
        boolean help;
    }

    /**
     * True when {@link #execute} applies {@code log-level} and {@code log-file} to java.util.logging: set by
     * {@link #main} when it runs with the default configuration, never in tests that call {@link #execute}.
     */
    private static boolean manageLogging;

    /** The broker {@link #execute} runs, for the SIGHUP handler; null before it starts and once it stops. */
    private static volatile Broker running;

    private BrokerMain()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        if (DEFAULT_LOGGING)
        {
            // The same lines for less garbage per connection event (see LogLineFormatter); a format or logging
            // configuration of the user's own is left alone.
            LogLineFormatter.install();
            manageLogging = true;
        }
        final CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        // SIGHUP reloads the credentials file, as daemons do, instead of killing the broker (the JVM's default).
        Signal.handle(new Signal("HUP"), signal ->
        {
            final Broker broker = running;
            if (null != broker)
            {
                broker.reloadCredentials();
            }
        });
        final int status = execute(args, System.out, System.err, System.in, stop);
        System.out.flush();
        System.exit(status);
    }

    /**
     * Runs the command line without exiting the JVM: prints help, adds a user, or runs a broker until {@code stop}
     * is counted down.
     *
     * @param args as typed.
     * @param out  standard output: help, the listening line, the effective settings.
     * @param err  standard error: bad options, start-up failures.
     * @param in   standard input, where {@code adduser} reads the secret when there is no console.
     * @param stop counted down to shut the broker down.
     * @return the exit status: 0 ok, 1 failure to start, 2 bad option.
     * @throws InterruptedException if interrupted while the broker runs.
     */
    static int execute(
        final String[] args,
        final PrintStream out,
        final PrintStream err,
        final InputStream in,
        final CountDownLatch stop) throws InterruptedException
    {
        final CommandLine commandLine = commandLine();
        final BrokerConfig config;
        try
        {
            final ParseResult parsed = commandLine.parseArgs(args);
            if (parsed.isUsageHelpRequested())
            {
                commandLine.usage(out);
                return 0;
            }
            if (parsed.isVersionHelpRequested())
            {
                commandLine.printVersionHelp(out);
                return 0;
            }
            if (parsed.hasSubcommand())
            {
                final ParseResult sub = parsed.subcommand();
                if (sub.isUsageHelpRequested())
                {
                    sub.commandSpec().commandLine().usage(out);
                    return 0;
                }
                return addUser(sub.commandSpec().commandLine().getCommand(), config(parsed), out, err, in);
            }
            config = config(parsed);
            config.conclude();
            BrokerThreads.resolve(config); // a setting the threading mode would ignore is a usage error too
        }
        catch (final ParameterException ex)
        {
            final boolean addUser = ex.getCommandLine() != commandLine;
            err.println(NAME + (addUser ? " adduser: " : ": ") + ex.getMessage());
            err.println("Try " + (addUser ? "adduser --help" : "--help") + " for the list of options.");
            return EXIT_USAGE;
        }
        catch (final IllegalArgumentException | IOException ex)
        {
            err.println(NAME + ": " + ex.getMessage());
            err.println("Try --help for the list of options.");
            return EXIT_USAGE;
        }

        final BrokerLogging logging;
        try
        {
            logging = !manageLogging ? null : BrokerLogging.apply(java.util.logging.Logger.getLogger(""),
                config.get(Settings.LOG_LEVEL), config.get(Settings.LOG_FILE));
        }
        catch (final IOException ex)
        {
            err.println(NAME + ": " + ex.getMessage());
            return EXIT_START_FAILED;
        }
        final Broker broker;
        try
        {
            broker = Broker.launch(config);
        }
        catch (final IOException | RuntimeException ex)
        {
            err.println(NAME + ": cannot start on " + config.get(Settings.BIND) + ":" + config.get(Settings.PORT) +
                ": " + ex.getMessage());
            if (null != logging)
            {
                logging.close();
            }
            return EXIT_START_FAILED;
        }

        running = broker;
        final var address = broker.localAddress();
        out.println("tern broker listening on " + address.getAddress().getHostAddress() + ":" + address.getPort());
        final var tlsAddress = broker.tlsAddress();
        if (null != tlsAddress)
        {
            out.println("tern broker listening for TLS on " + tlsAddress.getAddress().getHostAddress() + ":" +
                tlsAddress.getPort());
        }
        final var admin = broker.adminAddress();
        if (null != admin)
        {
            out.println("tern broker admin on " + (null == config.tlsContext() ||
                config.get(Settings.ADMIN_TLS) == BrokerConfig.OnOff.OFF ? "http" : "https") + "://" + admin.getAddress().getHostAddress() + ":" +
                admin.getPort() + "/ (dashboard; /metrics, /connz, /histograms, /health)");
        }
        out.println("tern broker settings: " +
            config.describe(address.getPort(), null == admin ? -1 : admin.getPort()));
        out.println(fileDescriptorLine(config.get(Settings.MAX_CONNECTIONS), maxFileDescriptors()));
        out.flush();

        stop.await();
        running = null;
        out.println("tern broker shutting down");
        broker.close();
        out.println("tern broker stopped");
        out.flush();
        if (null != logging)
        {
            logging.close();
        }
        return 0;
    }

    /**
     * What the descriptor limit allows: every connection is a descriptor, and the JVM, the listening sockets, the
     * selectors and the log files take some more. Past the limit {@code accept} fails and the acceptor backs off, so
     * the broker says at start-up which of the two limits comes first.
     *
     * @param maxConnections the {@code max-connections} setting.
     * @param limit          descriptors this process may open, or -1 if unknown.
     * @return one line for the start-up output.
     */
    static String fileDescriptorLine(final int maxConnections, final long limit)
    {
        if (limit < 0)
        {
            return "tern broker file descriptors: limit unknown on this platform";
        }
        final long needed = (long)maxConnections + RESERVED_FILE_DESCRIPTORS;
        return "tern broker file descriptors: " + limit + " may be open" + (limit >= needed ?
            "" : "; max-connections=" + maxConnections + " needs about " + needed + ", so at most about " +
            Math.max(0, limit - RESERVED_FILE_DESCRIPTORS) + " connections will be accepted: raise the limit " +
            "(ulimit -n, or LimitNOFILE in a systemd unit)");
    }

    /** @return the descriptors this process may open (its soft limit), or -1 where the JVM cannot tell. */
    static long maxFileDescriptors()
    {
        final java.lang.management.OperatingSystemMXBean os =
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.UnixOperatingSystemMXBean ?
            ((com.sun.management.UnixOperatingSystemMXBean)os).getMaxFileDescriptorCount() : -1;
    }

    /**
     * The command line: {@code --config}, one option per setting in {@link Settings} (its description, default,
     * unit and range in the help), {@code --help}, and the {@code adduser} subcommand.
     *
     * @return a new command line, not yet parsed.
     */
    static CommandLine commandLine()
    {
        // How the user started it: the package's launcher says so (bin/tern-broker), else java -jar.
        final String command = System.getProperty(COMMAND_PROPERTY, "java -jar tern-broker.jar");
        final CommandSpec spec = CommandSpec.create().name(NAME);
        spec.usageMessage()
            .customSynopsis(
                command + " [--config=FILE] [--<setting>=<value>]...",
                "       " + command + " [--config=FILE] [--auth-iterations=N] adduser FILE NAME [ITERATIONS]")
            .descriptionHeading("%n")
            .optionListHeading("%nOptions (every setting; docs/configuration.md has the same list):%n")
            .commandListHeading("%nCommands:%n")
            .description(
                "Runs the tern broker until SIGINT or SIGTERM. Every setting is an option, --name value or " +
                    "--name=value; options on the command line override the config file. docs/configuration.md " +
                    "describes each setting and the config file.")
            .footer("", "Exit status: 0 ok; 1 cannot start (e.g. the port is taken); 2 bad option, setting or " +
                "config file.")
            .sortOptions(false)
            .width(110);
        spec.addOption(OptionSpec.builder(CONFIG_OPTION)
            .paramLabel("FILE")
            .type(Path.class)
            .description("read settings from FILE: one 'name value' a line, names as below without the dashes, " +
                "# comments; options on the command line override it")
            .build());
        for (final Setting<?> setting : Settings.all())
        {
            spec.addOption(OptionSpec.builder("--" + setting.name())
                .paramLabel(setting.paramLabel())
                .type(String.class)
                .description(help(setting))
                .build());
        }
        spec.addOption(OptionSpec.builder("-h", "--help")
            .usageHelp(true)
            .description("print this help and exit")
            .build());
        spec.versionProvider(() -> new String[]{BuildInfo.versionLine(NAME)});
        spec.addOption(OptionSpec.builder("-V", "--version")
            .versionHelp(true)
            .description("print the version and the git commit it was built from, and exit")
            .build());

        final CommandLine commandLine = new CommandLine(spec);
        commandLine.addSubcommand("adduser", new CommandLine(new AddUser()));
        // As before picocli: the last of a repeated option wins, and an argument starting with @ is a value.
        commandLine.setOverwrittenOptionsAllowed(true);
        commandLine.setExpandAtFiles(false);
        return commandLine;
    }

    /**
     * @param setting a setting.
     * @return its text in {@code --help}: meaning, unit, default, valid range.
     */
    static String help(final Setting<?> setting)
    {
        return setting.description() + " (" + (setting.unit().isEmpty() ? "" : "unit: " + setting.unit() + "; ") +
            "default: " + (setting.defaultText().isEmpty() ? "none" : setting.defaultText()) +
            "; valid: " + setting.range() + ")";
    }

    /**
     * Settings from the config file named by {@code --config}, if any, then from the options given.
     *
     * @param parsed the command line, parsed.
     * @return the settings, not yet concluded.
     * @throws IOException              if the config file cannot be read.
     * @throws IllegalArgumentException for a bad line in the config file.
     */
    static BrokerConfig config(final ParseResult parsed) throws IOException
    {
        final BrokerConfig config = new BrokerConfig();
        if (parsed.hasMatchedOption(CONFIG_OPTION))
        {
            final Path file = parsed.matchedOptionValue(CONFIG_OPTION, null);
            try
            {
                ConfigFile.read(file, config);
            }
            catch (final IOException ex)
            {
                throw new IOException("cannot read config file " + file + ": " + ex, ex);
            }
        }
        for (final OptionSpec option : parsed.matchedOptions())
        {
            final Setting<?> setting = Settings.byName(option.longestName().substring(2));
            if (null != setting)
            {
                config.set(setting.name(), option.getValue());
            }
        }
        return config;
    }

    /**
     * Adds or replaces a user in a credentials file, reading the secret from the console without echo, or from the
     * first line of standard input when there is no console. Its iterations: ITERATIONS, else {@code auth-iterations}
     * of the options and config file given before {@code adduser}; at most their {@code auth-max-iterations}, which
     * the broker would refuse to read.
     */
    private static int addUser(final AddUser command, final BrokerConfig config, final PrintStream out,
        final PrintStream err, final InputStream in)
    {
        try
        {
            final int maxIterations = config.peek(Settings.AUTH_MAX_ITERATIONS);
            final int iterations = null == command.iterations ? config.peek(Settings.AUTH_ITERATIONS) :
                command.iterations;
            if (iterations < 1 || iterations > maxIterations)
            {
                throw new IllegalArgumentException("ITERATIONS=" + iterations + ": must be 1 to --" +
                    Settings.AUTH_MAX_ITERATIONS.name() + "=" + maxIterations +
                    " (the broker refuses a file with more)");
            }
            final char[] secret;
            final java.io.Console console = System.console();
            if (null != console)
            {
                secret = console.readPassword("secret for %s: ", command.name);
            }
            else
            {
                final String line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
                secret = null == line ? new char[0] : line.strip().toCharArray();
            }
            CredentialsFile.addUser(command.file, command.name, secret, iterations);
            Arrays.fill(secret, '\0');
            out.println("added '" + command.name + "' to " + command.file);
            return 0;
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            err.println(NAME + " adduser: " + ex.getMessage());
            return EXIT_USAGE;
        }
    }
}
