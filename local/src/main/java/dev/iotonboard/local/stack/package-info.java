/**
 * The synthesized stack as the tool reads it: {@code StackTemplate} (the views every room uses: IoT policies, topic
 * rules, Lambda functions, aliases, queues, schedules, and resolved properties of any resource), behind it the cloud
 * assembly on disk ({@code CloudAssembly}), intrinsics and names ({@code Intrinsics}) and the resource reader
 * ({@code ResourceReader}); and {@code Staleness}, which refuses an assembly older than the Lambda jars it runs.
 */
package dev.iotonboard.local.stack;
