"""A tiny-bert tagger trained for a few dozen steps on toy resumes (COMPANY and SKILL entities in filler words),
windows cut exactly as prediction cuts them: the real model that prediction, export and serving tests run."""

from __future__ import annotations

import random
from pathlib import Path

import torch
from transformers import AutoModelForTokenClassification, AutoTokenizer

from resume_ner.backbones import resolve_backbone
from resume_ner.corpus.documents import Document, Span
from resume_ner.corpus.labels import LabelSchema
from resume_ner.tagging import IGNORE, encode_document
from resume_ner.tagging.alignment import SubtokenPolicy
from resume_ner.training.checkpoint import CheckpointMetadata, save_checkpoint

SCHEMA = LabelSchema(("COMPANY", "SKILL"))
MAX_LENGTH, STRIDE = 16, 4
POLICY: SubtokenPolicy = "first"

RESUME_LINES = [
    "Jane Doe is a senior software engineer based in Berlin.",
    "Worked at Acme Corp as a data analyst from 2015 to 2018.",
    "Skills: Python, Java, SQL and Docker.",
    "Bachelor of Science in Computer Science, University of Toronto.",
    "Led a team of five engineers building payment services.",
    "Wrote Python tools for the finance team at Acme Corp.",
    "Certified Scrum Master with eight years of agile experience.",
    "John Smith, product manager with a focus on growth.",
    "Fluent in English, German and Spanish.",
    "Designed dashboards for the sales department.",
    "Built Java microservices and batch jobs.",
    "Maria Garcia, registered nurse at the city hospital.",
    "Managed a budget of two million dollars across three regions.",
    "Internship working on Java and Python code.",
    "Awarded employee of the year in 2019.",
    "Senior accountant, specialised in audits.",
    "Teaching assistant for introductory statistics courses.",
    "Reduced cloud costs by thirty percent.",
    "PhD in Physics, thesis on quantum optics.",
    "Customer support specialist handling tickets every day.",
    "Volunteer coordinator at the Red Cross.",
    "Frontend developer who also writes Python scripts.",
    "Civil engineer with a project management certificate.",
    "Mentored junior developers and ran code reviews.",
    "Organised the yearly hackathon at Acme Corp.",
    "Speaks at meetups about testing and Java performance.",
    "Owned the release process and on call rotation.",
    "Drove adoption of automated deployments.",
    "Presented quarterly results to the board.",
    "Hobbies: chess, hiking and photography.",
]
ENTITIES = {"Python": "SKILL", "Java": "SKILL", "Acme Corp": "COMPANY"}
FILLER = sorted(
    {word.strip(".,:") for line in RESUME_LINES for word in line.split()} - {"Python", "Java", "Acme", "Corp", ""}
)
SEPARATORS = [" ", " ", " ", "\n", ", ", ". "]


def make_text(rng: random.Random, n_words: int, entity_share: float = 0.25) -> Document:
    """Random filler words with entities sprinkled in; the gold spans are where the entities were put."""
    text, spans = "", []
    for index in range(n_words):
        if index:
            text += rng.choice(SEPARATORS)
        if rng.random() < entity_share:
            entity = rng.choice(list(ENTITIES))
            spans.append(Span(len(text), len(text) + len(entity), ENTITIES[entity]))
            text += entity
        else:
            text += rng.choice(FILLER)
    return Document("doc", text, tuple(spans))


def build_from_parts(parts: list[str | tuple[str, str]]) -> Document:
    text, spans = "", []
    for part in parts:
        if isinstance(part, tuple):
            spans.append(Span(len(text), len(text) + len(part[0]), part[1]))
            part = part[0]
        text += part
    return Document("doc", text, tuple(spans))


def toy_checkpoint(folder: Path) -> Path:
    """The trained toy tagger saved as a checkpoint in ``folder / "ckpt"``."""
    backbone = resolve_backbone("tiny-bert", texts=RESUME_LINES, cache_dir=folder / "backbones")
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    rng = random.Random(0)
    windows: list = []
    for _ in range(160):
        document = make_text(rng, rng.randint(1, 30))
        encoded = encode_document(document, tokenizer, SCHEMA, MAX_LENGTH, STRIDE, POLICY)
        windows.extend(encoded.windows)
    model = train_toy_model(backbone, windows, tokenizer.pad_token_id, rng)
    metadata = CheckpointMetadata(SCHEMA.entity_types, MAX_LENGTH, STRIDE, POLICY)
    return save_checkpoint(model, tokenizer, metadata, folder / "ckpt")


def train_toy_model(backbone: Path, windows, pad_id: int, rng: random.Random):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = AutoModelForTokenClassification.from_pretrained(
            backbone, num_labels=len(SCHEMA.tags), id2label=SCHEMA.id2label, label2id=SCHEMA.label2id
        )
        optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
        model.train()
        for _ in range(60):
            batch = rng.sample(windows, 32)
            width = max(len(window) for window in batch)
            input_ids = torch.full((len(batch), width), pad_id)
            labels = torch.full((len(batch), width), IGNORE)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, window in enumerate(batch):
                input_ids[row, : len(window)] = torch.tensor(window.input_ids)
                labels[row, : len(window)] = torch.tensor(window.labels)
                mask[row, : len(window)] = 1
            loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    return model
