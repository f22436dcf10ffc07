using Triggers.Runtimes.Bun;
using Triggers.Runtimes.Python;

namespace Triggers.Tests.Runtimes;

/// <summary>What a script's imports and pins say it needs, read when it is saved.</summary>
public sealed class ImportInferenceTests
{
    [Fact]
    public void Bun_scripts_need_the_packages_they_import_by_bare_name_at_latest()
    {
        var packages = BunImports.Infer("""
            import _ from "lodash";
            import { chunk } from 'lodash/fp';
            import type { Thing } from "@scope/pkg/deep/path";
            import * as fs from "node:fs";
            import path from "path";
            import { Database } from "bun:sqlite";
            import { helper } from "./helper";
            import other from "/f/team/other";
            const lazy = await import("is-odd");
            const old = require("left-pad");
            export async function main() { return 1; }
            """);
        Assert.Equal(new Dictionary<string, string>
        {
            ["@scope/pkg"] = "latest", ["is-odd"] = "latest", ["left-pad"] = "latest", ["lodash"] = "latest",
        }, packages);
    }

    [Fact]
    public void A_bun_package_json_comment_pins_versions_and_may_span_lines()
    {
        var packages = BunImports.Infer("""
            // package.json: {"dependencies": {
            //   "is-odd": "2.0.0", "extra": "^1.2.0" }}
            import isOdd from "is-odd";
            import _ from "lodash";
            export function main() {}
            """);
        Assert.Equal(new Dictionary<string, string> { ["extra"] = "^1.2.0", ["is-odd"] = "2.0.0", ["lodash"] = "latest" }, packages);
    }

    [Fact]
    public void A_malformed_bun_pin_block_is_refused_with_its_expected_shape()
    {
        var error = Assert.Throws<ArgumentException>(() => BunImports.Infer("// package.json: {\"dependencies\": [1]}\nexport function main() {}"));
        Assert.Contains("dependencies", error.Message);
    }

    [Fact]
    public void Python_scripts_need_packages_for_imports_outside_the_standard_library_under_their_package_names()
    {
        var requirements = PythonImports.Infer("""
            import os, sys, json
            import requests
            import yaml  # PyYAML==6.0.1
            from bs4 import BeautifulSoup
            import numpy as np, collections.abc
            from . import sibling
            from __future__ import annotations

            def main():
                import dateutil.parser
                return 1
            """);
        Assert.Equal(["beautifulsoup4", "numpy", "python-dateutil", "PyYAML==6.0.1", "requests"], requirements);
    }

    [Fact]
    public void A_python_requirements_block_says_it_all()
    {
        var requirements = PythonImports.Infer("""
            # requirements:
            # greeter==1.0.0
            # shouter>=2
            import greeter
            import something_unlisted

            def main(): pass
            """);
        Assert.Equal(["greeter==1.0.0", "shouter>=2"], requirements);
    }
}
