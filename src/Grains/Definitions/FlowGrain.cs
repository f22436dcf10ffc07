using System.Text.RegularExpressions;
using Triggers.Definitions;
using Triggers.Flows;
using Triggers.Jobs.Execution;
using Triggers.Runtimes;
using Triggers.Scripts;
using Triggers.Validation;
using Triggers.Workspaces;

namespace Triggers.Definitions;

public sealed partial class FlowGrain(
    [PersistentState("flow", StorageNames.Definitions)] IPersistentState<StoredItem<Flow>> state,
    TimeProvider clock) : WorkspaceItemGrain<Flow>(state, ItemKinds.Flow), IFlowGrain
{
    protected override string KindName => "flow";

    public async Task<Flow> CreateAsync(Flow flow)
    {
        await ValidateAsync(flow.Value);
        var now = clock.GetUtcNow();
        var created = flow with { Path = ItemPath, CreatedAt = now, UpdatedAt = now, VersionId = NewVersionId(null, now), PreviousVersions = [] };
        await Version(created.VersionId).SaveAsync(created);
        await SaveNewAsync(created);
        return created;
    }

    public async Task<Flow> UpdateAsync(Flow flow)
    {
        var existing = Existing;
        await ValidateAsync(flow.Value);
        var now = clock.GetUtcNow();
        var updated = flow with
        {
            Path = ItemPath, CreatedAt = existing.CreatedAt, UpdatedAt = now, VersionId = NewVersionId(existing, now),
            PreviousVersions = existing.VersionId > 0 ? [existing.VersionId, .. existing.PreviousVersions] : [],
        };
        await Version(updated.VersionId).SaveAsync(updated);
        await SaveAsync(updated); // jobs queued before run the flow as it is when they start
        return updated;
    }

    public Task<Flow?> GetAsync() => Task.FromResult(Found());

    /// <summary>Deletes the flow with every version of it.</summary>
    public async Task DeleteAsync()
    {
        var flow = Existing;
        foreach (var version in flow.PreviousVersions.Prepend(flow.VersionId).Where(v => v > 0)) await Version(version).DeleteAsync();
        await RemoveAsync();
    }

    /// <summary>A millisecond clock reading, later than the version before: ids grow with time, as Windmill's do.</summary>
    private static long NewVersionId(Flow? previous, DateTimeOffset now) => Math.Max(now.ToUnixTimeMilliseconds(), (previous?.VersionId ?? 0) + 1);

    private IVersionGrain<Flow> Version(long version) => GrainFactory.GetGrain<IVersionGrain<Flow>>(VersionKeys.Flow(WorkspaceId, version, ItemPath));

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex ModuleIdPattern();

    private async Task ValidateAsync(FlowValue? value)
    {
        if (value is null)
            throw new InvalidInputException("value", "A flow needs a value: {\"modules\": [{\"id\": \"a\", \"value\": {\"type\": \"script\", \"path\": \"u/me/step\"}}]}.");
        if (value.Modules is not { Count: > 0 } modules)
            throw new InvalidInputException("value.modules", "A flow needs at least one module: {\"id\": \"a\", \"value\": {\"type\": \"script\", \"path\": \"u/me/step\"}}.");
        Limits.RequireCount(modules.Count, Limits.MaxFlowModules, "value.modules", "modules");
        var ids = new HashSet<string>();
        for (var i = 0; i < modules.Count; i++)
        {
            var field = $"value.modules[{i}]";
            if (modules[i] is null) throw new InvalidInputException(field, "A module must be an object: {\"id\": \"a\", \"value\": {...}}, not null.");
            if (modules[i].Id is not { } id || !ModuleIdPattern().IsMatch(id))
                throw new InvalidInputException($"{field}.id", $"'{modules[i].Id}' is not a module id: use letters, digits and '_' (it is used as results.<id>).");
            if (!ids.Add(id)) throw new InvalidInputException($"{field}.id", $"Two modules are called '{id}'; ids name results and must be unique.");
            await ValidateModuleAsync(modules[i], field);
        }
        if (value.PreprocessorModule is { } pre) await ValidateModuleAsync(pre, "value.preprocessor_module", preprocessorOnly: true);
        if (value.FailureModule is { } failure) await ValidateModuleAsync(failure, "value.failure_module");
    }

    /// <param name="preprocessorOnly">The flow's preprocessor module: an inline script may export just
    /// <c>preprocessor(event)</c>, whose result is the flow's input.</param>
    private async Task ValidateModuleAsync(FlowModule module, string field, bool preprocessorOnly = false)
    {
        var step = module.Value ?? throw new InvalidInputException($"{field}.value", "A module needs a value: {\"type\": \"script\" | \"rawscript\", ...}.");
        switch (step.Type)
        {
            case ModuleValue.Script:
                Names.RequirePath(step.Path, $"{field}.value.path");
                if (await GrainFactory.GetGrain<IScriptGrain>(Names.ItemKey(WorkspaceId, step.Path!)).GetAsync() is null)
                    throw new InvalidInputException($"{field}.value.path", $"No script at '{step.Path}'; create it first or use a rawscript module.");
                break;
            case ModuleValue.RawScript:
                if (step.Language is not { } language)
                    throw new InvalidInputException($"{field}.value.language", "A rawscript module needs a language: \"bun\", \"python3\" or \"bash\".");
                Limits.RequireContentSize(step.Content, $"{field}.value.content");
                try { ScriptAnalyzer.Analyze(language, step.Content ?? "", mainOptional: preprocessorOnly); }
                catch (ArgumentException e) { throw new InvalidInputException($"{field}.value.content", e.Message); }
                break;
            default:
                throw new InvalidInputException($"{field}.value.type", $"'{step.Type}' is not a module type: use \"script\" or \"rawscript\".");
        }
        InputTransforms.Validate(step.InputTransforms, $"{field}.value");
    }
}
