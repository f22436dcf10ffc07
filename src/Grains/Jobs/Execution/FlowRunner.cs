using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Triggers.Extensions;
using Triggers.Flows;
using Triggers.Jobs.Store;
using Triggers.Runtimes;
using Triggers.Scripts;
using Triggers.Validation;

namespace Triggers.Jobs.Execution;

/// <summary>
/// Runs a flow job inside the worker slot that claimed it: the optional preprocessor module, then each step in
/// order, each step a job of its own linked to the flow's job; the failure module when a step fails. The flow's
/// result is its last step's.
/// </summary>
public sealed class FlowRunner(
    ScriptRunner scripts, IJobStore store, JobCompletions completions, IJobTriggers triggers, JobVariables variables, IGrainFactory grains, TimeProvider clock)
{
    private sealed record StepRun(bool Succeeded, JsonNode? Result, JobError? Error);

    /// <summary>Runs the flow as it is now; the outcome names the version that ran (<see cref="JobOutcome.ScriptHash"/>).</summary>
    public async Task<JobOutcome> RunAsync(JobRecord flowJob, string workerId, TimeSpan stepTimeout, CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        var flow = await ClusterCalls.RetryAsync(() => grains.GetGrain<IFlowGrain>(Names.ItemKey(flowJob.WorkspaceId, flowJob.ScriptPath)).GetAsync(), ct);
        if (flow is null)
            return JobOutcomes.Failed(new JobError("FlowNotFound", $"No flow at '{flowJob.ScriptPath}' in workspace '{flowJob.WorkspaceId}': it was deleted after the job was queued."), started, clock.GetUtcNow());
        var outcome = await RunAsync(flow, flowJob, workerId, stepTimeout, started, ct);
        return flow.VersionId > 0 ? outcome with { ScriptHash = flow.VersionId.ToString(System.Globalization.CultureInfo.InvariantCulture) } : outcome;
    }

    private async Task<JobOutcome> RunAsync(Flow flow, JobRecord flowJob, string workerId, TimeSpan stepTimeout, DateTimeOffset started, CancellationToken ct)
    {
        var log = new StringBuilder();

        var context = new FlowContext(flowJob, workerId, stepTimeout, log, ct);
        var (input, inputError) = await FlowInputAsync(flow, context);
        if (inputError is not null) return JobOutcomes.Failed(inputError, started, clock.GetUtcNow(), log.ToString());

        var results = new JsonObject();
        JsonNode? previous = null;
        foreach (var module in flow.Value.Modules)
        {
            JsonObject args;
            try { args = InputTransforms.Evaluate(module.Value.InputTransforms, input!, results, previous); }
            catch (InputTransformException e)
            {
                return await FailAsync(flow, context, input!, new JobError("InputTransformError", $"Step '{module.Id}': {e.Message}"), started);
            }
            var step = await RunStepAsync(module, args, context);
            if (!step.Succeeded)
            {
                var error = step.Error! with { Message = $"Step '{module.Id}' failed: {step.Error!.Message}" };
                return await FailAsync(flow, context, input!, error, started);
            }
            results[module.Id] = step.Result?.DeepClone();
            previous = step.Result;
        }
        return new JobOutcome
        {
            Succeeded = true,
            Result = previous is null ? null : JsonSerializer.SerializeToElement(previous),
            MainArgs = JsonSerializer.SerializeToElement(input),
            Logs = log.ToString(),
            StartedAt = started,
            CompletedAt = clock.GetUtcNow(),
        };
    }

    private sealed record FlowContext(JobRecord Job, string WorkerId, TimeSpan StepTimeout, StringBuilder Log, CancellationToken Ct);

    /// <summary>A triggered flow's inputs come from its preprocessor module (or are the payload); a direct run's are its arguments.</summary>
    private async Task<(JsonObject? Input, JobError? Error)> FlowInputAsync(Flow flow, FlowContext context)
    {
        var triggerEvent = JobArguments.Event(context.Job);
        if (triggerEvent is null || flow.Value.PreprocessorModule is not { } preprocessor)
            return (JobArguments.Default(context.Job, triggerEvent, triggers), null);

        var step = await RunStepAsync(preprocessor, new JsonObject { ["event"] = triggerEvent }, context, triggerEvent);
        if (!step.Succeeded) return (null, step.Error! with { Message = $"The preprocessor module failed: {step.Error!.Message}" });
        return step.Result is JsonObject input
            ? (input, null)
            : (null, new JobError("InvalidFlowInput", "The preprocessor module must return an object whose keys are the flow's inputs."));
    }

    private async Task<JobOutcome> FailAsync(Flow flow, FlowContext context, JsonObject input, JobError error, DateTimeOffset started)
    {
        if (flow.Value.FailureModule is { } failureModule)
        {
            JsonObject args;
            try { args = InputTransforms.Evaluate(failureModule.Value.InputTransforms, input, [], null); }
            catch (InputTransformException e)
            {
                // The flow still fails with its own error; the failure module's problem is told beside it.
                context.Log.AppendLine($"failure module {failureModule.Id} not run: {e.Message}");
                return JobOutcomes.Failed(error with { Message = $"{error.Message} (The failure module '{failureModule.Id}' did not run: {e.Message})" },
                    started, clock.GetUtcNow(), context.Log.ToString()) with { MainArgs = JsonSerializer.SerializeToElement(input) };
            }
            args["error"] = JsonSerializer.SerializeToNode(error, JobJson.Options);
            args["flow_input"] = input.DeepClone();
            await RunStepAsync(failureModule, args, context);
        }
        return JobOutcomes.Failed(error, started, clock.GetUtcNow(), context.Log.ToString()) with { MainArgs = JsonSerializer.SerializeToElement(input) };
    }

    /// <summary>Runs one module as a job of its own, linked to the flow's job.</summary>
    /// <param name="triggerEvent">For the preprocessor module: an inline script that exports only
    /// <c>preprocessor(event)</c> (Windmill's template) gets the event that way, and its result is the step's.</param>
    private async Task<StepRun> RunStepAsync(FlowModule module, JsonObject args, FlowContext context, JsonObject? triggerEvent = null)
    {
        var flowJob = context.Job;
        var started = clock.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        var step = new JobRecord
        {
            Id = JobIds.FlowStep(flowJob.Id, flowJob.Attempts, module.Id),
            WorkspaceId = flowJob.WorkspaceId,
            ScriptPath = module.Value.Type == ModuleValue.Script ? module.Value.Path! : $"{flowJob.ScriptPath}/{module.Id}",
            ArgsJson = args.ToJsonString(),
            TriggerKind = "flow",
            FlowJobId = flowJob.Id,
            CreatedAt = started,
            // Stored as running under this worker's claim (StartAsync), so its completion is fenced like any job's.
            Attempts = 1,
            ClaimedBy = context.WorkerId,
        };
        // Steps run one after another in this slot: keep the flow's claim alive for each of them.
        await store.ExtendLeaseAsync(flowJob.Id, Runnables.Lease(context.StepTimeout), context.Ct);
        await store.StartAsync(step, context.WorkerId, context.Ct);

        JobOutcome outcome;
        var script = await ResolveAsync(module.Value, flowJob.WorkspaceId);
        if (script is null)
        {
            outcome = JobOutcomes.Failed(Runnables.ScriptNotFound($"No script at '{module.Value.Path}' for step '{module.Id}'."), started, clock.GetUtcNow());
        }
        else
        {
            var (run, cannotRun) = await Runnables.PrepareAsync(grains, flowJob.WorkspaceId, script, args,
                script.Signature!.PreprocessorOnly ? triggerEvent : null, context.StepTimeout, variables.Of(step, context.StepTimeout, flowJob, module.Id), context.Ct);
            outcome = run is null
                ? JobOutcomes.Failed(cannotRun!, started, clock.GetUtcNow())
                : JobOutcomes.FromRun(await scripts.RunAsync(run, context.Ct), started, clock.GetUtcNow());
        }
        await completions.CompleteAsync(step, outcome, context.Ct);
        context.Log.AppendLine($"step {module.Id} ({step.Id}): {(outcome.Succeeded ? "success" : $"failure: {outcome.Error?.Message}")} in {stopwatch.ElapsedMilliseconds} ms");
        return new StepRun(outcome.Succeeded, outcome.Result is { } r ? JsonNode.Parse(r.GetRawText()) : null, outcome.Error);
    }

    private async Task<Script?> ResolveAsync(ModuleValue module, string workspaceId) => module.Type switch
    {
        ModuleValue.Script => await Runnables.ScriptAsync(grains, workspaceId, module.Path!),
        _ => new Script
        {
            Language = module.Language!.Value,
            Content = module.Content!,
            Signature = ScriptAnalyzer.Analyze(module.Language!.Value, module.Content!, mainOptional: true), // checked when saved
        },
    };
}
