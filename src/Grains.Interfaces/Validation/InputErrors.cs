namespace Triggers.Validation;

// These exceptions cross the grain boundary (Orleans serializes them) and the API turns each kind into one
// problem-details status, so every layer reports bad input the same way.

/// <summary>A request field is missing or malformed; <see cref="Field"/> names it in the API's snake_case.</summary>
[GenerateSerializer, Alias("Triggers.InvalidInputException")]
public sealed class InvalidInputException(string field, string message) : Exception(message)
{
    [Id(0)] public string Field { get; } = field;
}

/// <summary>The thing a request names does not exist.</summary>
[GenerateSerializer, Alias("Triggers.NotFoundException")]
public sealed class NotFoundException(string message) : Exception(message);

/// <summary>The request collides with existing state, e.g. creating a path that is taken.</summary>
[GenerateSerializer, Alias("Triggers.ConflictException")]
public sealed class ConflictException(string message) : Exception(message);
