/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layering rules of the main code, read from the sources of every module: {@code transport} never depends on
 * {@code broker}, and no package imports back into a package that imports it (no cycle, however long).
 * <p>
 * A dependency is an import or a fully qualified name of another {@code io.tern} package in a main source file.
 */
class PackageDependencyTest
{
    private static final Path ROOT = Path.of("..");
    private static final String[] MODULES = {"transport", "broker", "client", "loadgen"};
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+(io\\.tern[\\w.]*);", Pattern.MULTILINE);
    /** A reference to a type of another io.tern package: {@code io.tern.x.y.Type}. */
    private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.tern(?:\\.[a-z]\\w*)+)\\.[A-Z]");

    @Test
    @Timeout(30)
    void clientShouldDependOnTheTransportAlone()
    {
        final Map<String, Set<String>> graph = packageGraph();
        assertTrue(graph.containsKey("io.tern.client"), "the client's sources were not read");
        for (final Map.Entry<String, Set<String>> entry : graph.entrySet())
        {
            if (entry.getKey().startsWith("io.tern.client"))
            {
                for (final String target : entry.getValue())
                {
                    assertTrue(target.startsWith("io.tern.transport") || target.startsWith("io.tern.client"),
                        entry.getKey() + " depends on " + target);
                }
            }
        }
    }

    @Test
    @Timeout(30)
    void transportShouldNeverDependOnTheBroker()
    {
        final Map<String, Set<String>> graph = packageGraph();
        for (final Map.Entry<String, Set<String>> entry : graph.entrySet())
        {
            if (entry.getKey().startsWith("io.tern.transport"))
            {
                for (final String target : entry.getValue())
                {
                    assertFalse(target.startsWith("io.tern.broker") || target.startsWith("io.tern.loadgen"),
                        entry.getKey() + " depends on " + target);
                }
            }
        }
    }

    @Test
    @Timeout(30)
    void shouldHaveNoCycleBetweenPackages()
    {
        final Map<String, Set<String>> graph = packageGraph();
        assertTrue(graph.containsKey("io.tern.broker") && graph.containsKey("io.tern.transport"),
            "the sources were not found from " + ROOT.toAbsolutePath() + ": " + graph.keySet());
        for (final String start : graph.keySet())
        {
            final List<String> cycle = cycleFrom(start, graph, new ArrayList<>(), new TreeSet<>());
            assertEquals(List.of(), cycle, "packages import each other in a cycle");
        }
    }

    @Test
    @Timeout(30)
    void shouldDetectACycleWhenThereIsOne()
    {
        final Map<String, Set<String>> graph = new TreeMap<>();
        graph.put("a", Set.of("b"));
        graph.put("b", Set.of("c"));
        graph.put("c", Set.of("a"));
        assertEquals(List.of("a", "b", "c", "a"), cycleFrom("a", graph, new ArrayList<>(), new TreeSet<>()));
    }

    private static List<String> cycleFrom(
        final String node, final Map<String, Set<String>> graph, final List<String> path, final Set<String> done)
    {
        final int at = path.indexOf(node);
        if (at >= 0)
        {
            final List<String> cycle = new ArrayList<>(path.subList(at, path.size()));
            cycle.add(node);
            return cycle;
        }
        if (done.contains(node))
        {
            return List.of();
        }
        path.add(node);
        for (final String next : graph.getOrDefault(node, Set.of()))
        {
            final List<String> cycle = cycleFrom(next, graph, path, done);
            if (!cycle.isEmpty())
            {
                return cycle;
            }
        }
        path.remove(path.size() - 1);
        done.add(node);
        return List.of();
    }

    /** @return each main package to the other io.tern packages its sources name. */
    private static Map<String, Set<String>> packageGraph()
    {
        final Map<String, Set<String>> graph = new TreeMap<>();
        for (final String module : MODULES)
        {
            final Path sources = ROOT.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(sources))
            {
                continue;
            }
            try (Stream<Path> files = Files.walk(sources))
            {
                files.filter(file -> file.toString().endsWith(".java")).forEach(file -> addFile(file, graph));
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        return graph;
    }

    private static void addFile(final Path file, final Map<String, Set<String>> graph)
    {
        final String text;
        try
        {
            text = Files.readString(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final Matcher packageMatcher = PACKAGE.matcher(text);
        if (!packageMatcher.find())
        {
            return;
        }
        final String own = packageMatcher.group(1);
        final Set<String> targets = graph.computeIfAbsent(own, k -> new TreeSet<>());
        final Matcher reference = REFERENCE.matcher(text.substring(packageMatcher.end()));
        while (reference.find())
        {
            final String target = reference.group(1);
            if (!target.equals(own))
            {
                targets.add(target);
            }
        }
    }
}
