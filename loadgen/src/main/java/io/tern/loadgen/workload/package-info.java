/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * What is sent, to whom and when: the topology ({@link io.tern.loadgen.workload.Workload}), the load models, the
 * time line ({@link io.tern.loadgen.workload.Schedule}) and the payload layout
 * ({@link io.tern.loadgen.workload.PayloadDescriptor}, read by {@link io.tern.loadgen.workload.PayloadFlyweight}).
 * <p>
 * Everything here is immutable or stateless, usable from any thread, except a {@code PayloadFlyweight}, which
 * belongs to the one thread that reads with it (the receiver).
 */
package io.tern.loadgen.workload;
