using Orleans.Dashboard;
using Triggers.Api.Extensions;
using Triggers.ApiHost;

var builder = WebApplication.CreateBuilder(args);
builder.AddClusterClient();
builder.Services.AddTriggersApi(builder.Configuration);

var app = builder.Build();
app.UseTriggersApiErrors();
app.MapTriggersApi();
app.MapOrleansDashboard(routePrefix: "/dashboard");
await app.RunAsync();
