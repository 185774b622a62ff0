//! `castmill models`: importing a faster-whisper folder, listing, removing, and installing
//! over HTTP with resume and checksum verification (against a server on 127.0.0.1).

use std::io::Read;
use std::sync::atomic::Ordering;

use castmill_e2e::headless::{DataDir, ct2_model_dir, minilm_model_dir};
use castmill_e2e::model_server::{Serve, sha1_hex, start_server};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_faster_whisper_folder_imports_as_a_valid_ggml_model_that_can_be_listed_and_removed() {
    let data = DataDir::empty();
    let out = data.run(&["models", "import", ct2_model_dir().to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("as tiny.en"), "{}", stdout(&out));
    let bin = data.path().join("models/tiny.en.bin");
    let summary = shared_ipc::model_file::validate_file(&bin).expect("converted model validates");
    assert_eq!(summary.n_tensors, 167);
    assert_eq!(summary.hparams.n_vocab, 51864);
    // The same conversion as the one the set-up made (and the transcription tests use).
    assert_eq!(
        std::fs::read(&bin).expect("read"),
        std::fs::read(castmill_e2e::model_path()).expect("read")
    );

    let list = data.run(&["models", "list"]);
    assert!(
        stdout(&list).contains("tiny.en") && stdout(&list).contains("whisper tiny (English-only, f16)"),
        "{}",
        stdout(&list)
    );
    let removed = data.run(&["models", "remove", "tiny.en"]);
    assert!(removed.status.success());
    assert!(!bin.exists());
    assert!(stdout(&data.run(&["models", "list"])).contains("no models installed"));
}

#[test]
fn importing_something_that_is_not_a_model_is_refused_with_the_reason() {
    let data = DataDir::empty();
    let media = tempfile::tempdir().expect("tempdir");
    let fake = media.path().join("ggml-fake.bin");
    std::fs::write(&fake, b"this is not a model").expect("write");
    let out = data.run(&["models", "import", fake.to_str().expect("utf8")]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a usable whisper model") && stderr(&out).contains("ggml-fake.bin"),
        "{}",
        stderr(&out)
    );
    let out = data.run(&["models", "import", media.path().to_str().expect("utf8")]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is not a model folder: it has neither model.bin"),
        "{}",
        stderr(&out)
    );
    assert!(data.run(&["models", "list"]).status.success());
}

#[test]
fn install_resumes_an_interrupted_download_and_verifies_it() {
    let mut model = Vec::new();
    std::fs::File::open(castmill_e2e::model_path())
        .expect("model")
        .read_to_end(&mut model)
        .expect("read");
    let sha1 = sha1_hex(&model);
    let (url, served) = start_server(model.clone(), vec![Serve::HalfThenDrop, Serve::Honest]);
    let data = DataDir::empty();
    let install = |data: &DataDir| {
        data.command()
            .args(["models", "install", "tiny.en", "--sha1", &sha1])
            .env("CASTMILL_MODEL_BASE_URL", &url)
            .output()
            .expect("run")
    };

    let first = install(&data);
    assert!(!first.status.success(), "an interrupted download must fail");
    assert!(
        stderr(&first).contains("interrupted") || stderr(&first).contains("stopped at"),
        "{}",
        stderr(&first)
    );
    let part = data.path().join("models/.ggml-tiny.en.bin.part");
    let kept = std::fs::metadata(&part).expect("partial file kept").len();
    assert!(kept > 0 && (kept as usize) < model.len());
    let partial = std::fs::read(&part).expect("partial");
    assert!(
        model.starts_with(&partial),
        "the partial file must be a prefix of the model"
    );

    let second = install(&data);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(served.load(Ordering::SeqCst), 2);
    assert_eq!(
        std::fs::read(data.path().join("models/tiny.en.bin")).expect("installed"),
        model
    );
    assert!(!part.exists());
}

#[test]
fn install_rejects_a_corrupted_download() {
    let model = std::fs::read(castmill_e2e::model_path()).expect("model");
    let (url, _) = start_server(model.clone(), vec![Serve::Corrupted]);
    let data = DataDir::empty();
    let out = data
        .command()
        .args(["models", "install", "tiny.en", "--sha1", &sha1_hex(&model)])
        .env("CASTMILL_MODEL_BASE_URL", &url)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("corrupt") && stderr(&out).contains("SHA-1"),
        "{}",
        stderr(&out)
    );
    assert!(!data.path().join("models/tiny.en.bin").exists());
    assert!(!data.path().join("models/.ggml-tiny.en.bin.part").exists());
}

#[test]
fn a_sentence_transformers_folder_imports_lists_and_removes() {
    let data = DataDir::empty();
    let out = data.run(&[
        "models",
        "import",
        minilm_model_dir().to_str().expect("utf8"),
        "--name",
        "minilm",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let folder = data.path().join("models/minilm");
    assert!(folder.join("model.safetensors").is_file() && folder.join("tokenizer.json").is_file());
    let list = data.run(&["models", "list"]);
    assert!(
        stdout(&list).contains("sentence embeddings (384 dimensions, 6 layers)"),
        "{}",
        stdout(&list)
    );
    let again = data.run(&[
        "models",
        "import",
        minilm_model_dir().to_str().expect("utf8"),
        "--name",
        "minilm",
    ]);
    assert!(!again.status.success(), "importing over an installed model is refused");
    assert!(data.run(&["models", "remove", "minilm"]).status.success());
    assert!(!folder.exists());
}

#[test]
fn a_damaged_sentence_model_is_refused_with_the_reason() {
    let data = DataDir::empty();
    let media = tempfile::tempdir().expect("tempdir");
    let broken = media.path().join("broken-minilm");
    std::fs::create_dir(&broken).expect("mkdir");
    for file in ["config.json", "tokenizer.json"] {
        std::fs::copy(minilm_model_dir().join(file), broken.join(file)).expect("copy");
    }
    // The weights cut in half: the header promises tensors past the end.
    let weights = std::fs::read(minilm_model_dir().join("model.safetensors")).expect("read");
    std::fs::write(broken.join("model.safetensors"), &weights[..weights.len() / 2]).expect("write");
    let out = data.run(&["models", "import", broken.to_str().expect("utf8")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("outside the file"), "{}", stderr(&out));
    assert!(
        !data.path().join("models/broken-minilm").exists(),
        "nothing half-imported is left"
    );
}

/// `models quantize`: a q8_0 copy that lists as a whisper model, is under 60% of the size,
/// and transcribes as well; quantizing it again is refused with the reason.
#[test]
fn a_quantized_copy_is_smaller_lists_and_transcribes_as_well() {
    let _guard = castmill_e2e::worker::one_model_at_a_time();
    let data = DataDir::tiny_en_only();
    let out = data.run(&["models", "quantize", "tiny.en", "q8_0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("made tiny.en-q8_0"), "{}", stdout(&out));
    let quantized = data.path().join("models/tiny.en-q8_0.bin");
    let summary = shared_ipc::model_file::validate_file(&quantized).expect("quantized model validates");
    assert_eq!(summary.hparams.ftype % 1000, 7, "q8_0");
    let original = std::fs::metadata(castmill_e2e::model_path()).expect("model").len();
    assert!(
        summary.file_len * 10 < original * 6,
        "{} of {original} bytes",
        summary.file_len
    );
    assert!(stdout(&data.run(&["models", "list"])).contains("tiny.en-q8_0"));

    let again = data.run(&["models", "quantize", "tiny.en-q8_0", "q4_0"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("quantized already"), "{}", stderr(&again));

    let media = tempfile::tempdir().expect("tempdir");
    let clip = castmill_e2e::fixtures::clip("garden", "wav");
    let run = data.run(&[
        "--headless",
        "--model",
        "tiny.en-q8_0",
        "--out",
        media.path().to_str().expect("utf8"),
        clip.to_str().expect("utf8"),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text = std::fs::read_to_string(media.path().join("garden.txt")).expect("transcript");
    let wer = castmill_e2e::wer::word_error_rate(&castmill_e2e::fixtures::reference_text("garden"), &text);
    assert!(wer < 0.15, "word error rate {wer:.3} with q8_0: {text}");
}
