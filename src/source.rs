//! A scanned file: its text, where lines start, what kind of file it is and,
//! for configuration kinds, its parsed document.

use crate::finding::{FileId, Location};
use crate::syntax::{Document, LineIndex, ParseError, Position, Span, Syntax};
use serde::Serialize;
use std::path::PathBuf;

/// What shiplint understands a file to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// A standalone IAM policy document (JSON or YAML).
    Policy,
    CloudFormation,
    Terraform,
    Buildspec,
    /// A CodePipeline definition (`create-pipeline` / `get-pipeline` JSON).
    Pipeline,
    /// A CodeBuild `create-project` JSON.
    CodeBuildProject,
    /// A CodeDeploy deployment group (CLI JSON).
    DeploymentGroup,
    AppSpec,
    ImageDefinitions,
    ImageDetail,
    TaskDefinition,
    Workflow,
    /// Any other text file: only scanned for secrets.
    Text,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Policy => "policy",
            FileKind::CloudFormation => "cloudformation",
            FileKind::Terraform => "terraform",
            FileKind::Buildspec => "buildspec",
            FileKind::Pipeline => "pipeline",
            FileKind::CodeBuildProject => "codebuild-project",
            FileKind::DeploymentGroup => "deployment-group",
            FileKind::AppSpec => "appspec",
            FileKind::ImageDefinitions => "imagedefinitions",
            FileKind::ImageDetail => "imagedetail",
            FileKind::TaskDefinition => "task-definition",
            FileKind::Workflow => "workflow",
            FileKind::Text => "text",
        }
    }
}

#[derive(Debug)]
pub struct SourceFile {
    pub id: FileId,
    /// The path as found on disk.
    pub path: PathBuf,
    /// The path shown in reports: relative to the working directory when the
    /// file is below it, `/`-separated.
    pub display: String,
    pub kind: FileKind,
    /// `None` for plain text files.
    pub syntax: Option<Syntax>,
    /// The text without a byte-order mark; invalid UTF-8 replaced.
    pub text: String,
    pub lines: LineIndex,
    pub doc: Option<Document>,
    pub parse_error: Option<ParseError>,
    /// Why part of the file was not read, for the report's notices (a CDK or
    /// Pulumi program with a syntax error, invalid UTF-8, ...).
    pub notices: Vec<String>,
    /// Where the constants of a CDK or Pulumi program are used.
    pub uses: Vec<crate::program::Use>,
    /// Typed models, extracted on first use.
    pub models: crate::model::Models,
    /// Its inline suppression comments, read while the tree was there.
    pub suppressions: Vec<crate::suppress::Suppression>,
    /// What its values are evaluated against (Terraform modules and the
    /// templates they reach), set by the engine before its models are read.
    pub scope: Option<crate::eval::tf::Scope>,
}

impl SourceFile {
    pub fn at(&self, span: Span) -> Location {
        Location {
            file: self.id,
            span,
        }
    }

    pub fn position(&self, offset: u32) -> Position {
        self.lines.position(&self.text, offset)
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// Frees the text of a file that nothing points into (plain text files
    /// without findings), keeping memory flat on large repositories.
    pub fn release_text(&mut self) {
        self.text = String::new();
        self.lines = LineIndex::default();
    }

    /// The document roots, empty when the file did not parse.
    pub fn roots(&self) -> &[crate::syntax::Node] {
        self.doc.as_ref().map_or(&[], |d| d.roots.as_slice())
    }
}
