using Triggers.Definitions;
using Triggers.Tokens;

namespace Triggers.Security;

[GenerateSerializer, Alias("Triggers.ApiTokensState")]
public sealed class ApiTokensState
{
    [Id(0)] public List<ApiToken> Tokens { get; set; } = [];
}

/// <summary>Keeps the API tokens (hashes and what they allow), durably in the definitions store.</summary>
public sealed class ApiTokensGrain(
    [PersistentState("api-tokens", StorageNames.Definitions)] IPersistentState<ApiTokensState> state) : Grain, IApiTokensGrain
{
    public async Task AddAsync(ApiToken token)
    {
        // The prefix names a token for deletion, so it must name one (a clash of 40 random bits: try again).
        if (state.State.Tokens.Any(t => t.Prefix == token.Prefix))
            throw new Validation.ConflictException("A token with the same prefix exists; create the token again.");
        state.State.Tokens.Add(token);
        await state.WriteStateAsync();
    }

    public async Task<bool> RemoveAsync(string prefix)
    {
        if (state.State.Tokens.RemoveAll(t => t.Prefix == prefix) == 0) return false;
        await state.WriteStateAsync();
        return true;
    }

    public Task<IReadOnlyList<ApiToken>> ListAsync() => Task.FromResult<IReadOnlyList<ApiToken>>([.. state.State.Tokens]);

    public Task<ApiToken?> FindAsync(string hash) => Task.FromResult(state.State.Tokens.FirstOrDefault(t => t.Hash == hash));
}
